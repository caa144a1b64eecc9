/**
 * OUTPOST_WORKERS=2: a primary (the spool owner, in a child process) with two
 * forked workers taking HTTP and SMTP on shared ports. Requests go out on a
 * fresh connection each, so node:cluster spreads them over both workers (each
 * answer names its worker in X-Outpost-Worker, and the tests check both
 * answered). Every API call must answer alike on every worker; rate limits,
 * idempotency keys and failed AUTHs count across workers; the per-destination
 * connection limit holds for the instance; a worker killed with kill -9 loses
 * nothing acknowledged and is forked again.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, testEnv } from '../../support/outpost.js';
import { OutpostChild, withTimeout } from '../../support/outpost-process.js';
import { prepareRestSender, SENDER, SENDING_ZONE, type RestSender } from '../../support/rest-sender.js';
import { RawSmtpClient } from '../../support/smtp-client.js';

interface Answer {
  status: number;
  worker: string | undefined;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** One request on a connection of its own (no keep-alive), so the cluster may hand it to either worker. */
function freshRequest(address: string, method: string, path: string, options: { headers?: Record<string, string>; json?: unknown } = {}): Promise<Answer> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host, port, method, path, agent: false, headers: { ...options.headers, ...(body ? { 'content-type': 'application/json' } : {}), connection: 'close' } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          resolve({ status: response.statusCode!, worker: response.headers['x-outpost-worker'] as string | undefined, headers: response.headers, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        });
      },
    );
    request.on('error', reject);
    // a connection handed to a worker that is being killed may never be answered
    request.setTimeout(10_000, () => request.destroy(new Error(`no answer to ${method} ${path} within 10 s`)));
    request.end(body);
  });
}

describe('workers (OUTPOST_WORKERS=2)', function () {
  // three processes start, each loading the server with tsx
  this.timeout(60_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let child: OutpostChild | undefined;
  let sender: RestSender;
  let heldReplies: (() => void)[] = [];
  let inFlight = 0;
  let mostInFlight = 0;

  async function start(env: Record<string, string> = {}): Promise<OutpostChild> {
    const dataDir = await makeDataDir();
    child = new OutpostChild({ env: { ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }), OUTPOST_WORKERS: '2', OUTPOST_API_RATE_LIMIT: '0', ...env } });
    await withTimeout(child.ready, 45_000, () => `primary with workers ready; output: ${child!.output.join('')}`);
    sender = await prepareRestSender(child, dns);
    return child;
  }

  const send = (subject: string, extra: Record<string, string> = {}) =>
    freshRequest(child!.httpAddress!, 'POST', '/v1/mail/send', { headers: { ...sender.headers, ...extra }, json: { from: SENDER, to: ['user@dest.test'], subject, text: 'Hello' } });

  beforeEach(async () => {
    heldReplies = [];
    inFlight = 0;
    mostInFlight = 0;
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, ...SENDING_ZONE });
    mx = await startMxServer();
  });

  afterEach(async () => {
    await child?.stop('SIGTERM', 30_000).catch(() => child?.dispose());
    child = undefined;
    await mx.close();
    await dns.close();
  });

  it('answers every API call alike on every worker: status, listing and cursor paging', async () => {
    const outpost = await start();
    const sent: string[] = [];
    const workersSeen = new Set<string | undefined>();
    for (let index = 0; index < 8; index++) {
      const answer = await send(`across workers ${index}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      sent.push(answer.body.id as string);
      workersSeen.add(answer.worker);
    }
    assert.deepEqual([...workersSeen].sort(), ['1', '2'], 'sends were taken by both workers');
    await mx.waitForMessages(8, 15_000);

    for (const id of sent) {
      const views = new Map<string, string>();
      for (let tries = 0; tries < 20 && views.size < 2; tries++) {
        const answer = await freshRequest(outpost.httpAddress!, 'GET', `/v1/mail/messages/${id}`, { headers: sender.headers });
        assert.equal(answer.status, 200, JSON.stringify(answer.body));
        views.set(answer.worker!, JSON.stringify({ ...answer.body, recipients: (answer.body.recipients as { status: string }[]).map((recipient) => recipient.status) }));
      }
      assert.equal(views.size, 2, `message ${id} was read through both workers`);
      assert.equal(new Set(views.values()).size, 1, `both workers answer the same for ${id}`);
    }

    const paged: string[] = [];
    let cursor: string | null = null;
    const pageWorkers = new Set<string | undefined>();
    do {
      const answer: Answer = await freshRequest(outpost.httpAddress!, 'GET', `/v1/mail/messages?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { headers: sender.headers });
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      pageWorkers.add(answer.worker);
      paged.push(...(answer.body.items as { id: string }[]).map((item) => item.id));
      cursor = answer.body.next_cursor as string | null;
    } while (cursor);
    assert.deepEqual(paged, [...sent].reverse(), 'the listing, page by page over whichever worker, is every message newest first');
    assert.ok(pageWorkers.size >= 1);
  });

  it('counts the send rate limit across workers', async () => {
    await start({ OUTPOST_API_RATE_LIMIT: '5', OUTPOST_API_RATE_WINDOW: '1h' });
    const statuses: number[] = [];
    const workers = new Set<string | undefined>();
    for (let index = 0; index < 8; index++) {
      const answer = await send(`limited ${index}`);
      statuses.push(answer.status);
      workers.add(answer.worker);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429, 429, 429], 'five sends per window for the instance, not per worker');
    assert.equal(workers.size, 2);
  });

  it('shares idempotency keys, suppressions and failed-AUTH counts across workers', async () => {
    const outpost = await start({ OUTPOST_AUTH_FREE_FAILURES: '10', OUTPOST_AUTH_LOCKOUT_FAILURES: '3' });
    const replays: Answer[] = [];
    for (let index = 0; index < 6; index++) replays.push(await send('idempotent', { 'Idempotency-Key': 'order-1' }));
    assert.equal(new Set(replays.map((answer) => answer.body.id)).size, 1, 'one message for one key, whichever worker took the retry');
    assert.equal(new Set(replays.map((answer) => answer.worker)).size, 2);
    assert.ok(replays.slice(1).every((answer) => answer.headers['idempotent-replayed'] === 'true'));

    const suppressed = await freshRequest(outpost.httpAddress!, 'POST', '/v1/suppressions', { headers: sender.headers, json: { address: 'gone@dest.test' } });
    assert.equal(suppressed.status, 201, JSON.stringify(suppressed.body));
    const refusedBy = new Set<string | undefined>();
    for (let index = 0; index < 4; index++) {
      const answer = await freshRequest(outpost.httpAddress!, 'POST', '/v1/mail/send', { headers: sender.headers, json: { from: SENDER, to: ['gone@dest.test'], subject: 'x', text: 'y' } });
      assert.equal(answer.status, 400, `suppressed on worker ${answer.worker}: ${JSON.stringify(answer.body)}`);
      assert.equal(answer.body.code, 'no_valid_recipients');
      refusedBy.add(answer.worker);
    }
    assert.equal(refusedBy.size, 2, 'both workers saw the suppression');

    // three failed AUTHs over fresh connections lock the account out on every worker, also for its right key
    const authenticate = async (password: string): Promise<number> => {
      const client = await RawSmtpClient.connect(outpost.submissionAddress!);
      try {
        assert.equal((await client.reply()).code, 220);
        await client.command('EHLO test.example');
        await client.startTls();
        await client.command('EHLO test.example');
        return (await client.command(`AUTH PLAIN ${Buffer.from(`\0${sender.accountId}\0${password}`).toString('base64')}`)).code;
      } finally {
        client.close();
      }
    };
    for (let failure = 0; failure < 3; failure++) assert.equal(await authenticate(`${sender.apiKey}-wrong`), 535);
    for (let attempt = 0; attempt < 4; attempt++) assert.equal(await authenticate(sender.apiKey), 454, 'locked out whichever worker takes the connection');
  });

  it('holds the per-destination connection limit for the whole instance, and forks a worker killed with kill -9 again, losing nothing acknowledged', async () => {
    await mx.close();
    mx = await startMxServer({
      holdDataReply: () => {
        inFlight++;
        mostInFlight = Math.max(mostInFlight, inFlight);
        return new Promise<void>((release) => heldReplies.push(() => {
          inFlight--;
          release();
        }));
      },
    });
    const outpost = await start({ OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN: '2', OUTPOST_DELIVERY_MAX_MESSAGES_PER_CONNECTION: '1' });
    const releaser = setInterval(() => heldReplies.splice(0, 1).forEach((release) => release()), 30);
    try {
      const ready = await outpost.ready;
      const acked: string[] = [];
      const sends = Array.from({ length: 24 }, (_, index) =>
        send(`limited connections ${index}`).then(
          (answer) => {
            if (answer.status === 200) acked.push(answer.body.id as string);
          },
          () => undefined,
        ),
      );
      // one worker dies while sends are in flight; the other keeps taking them
      setTimeout(() => process.kill(ready.workerPids[0]!, 'SIGKILL'), 20);
      await Promise.all(sends);
      if (process.env.WORKERS_TEST_VERBOSE) console.log({ acked: acked.length, mostInFlight, delivered: mx.messages.length });
      assert.ok(acked.length >= 12, `most sends were acknowledged (${acked.length})`);
      await mx.waitForMessages(acked.length, 30_000);
      const deliveredSubjects = new Set(mx.messages.map((message) => /^Subject: (.*)\r$/m.exec(message.raw.toString())?.[1]));
      assert.ok(mostInFlight <= 2, `at most 2 transactions at the destination at once, saw ${mostInFlight}`);

      // the killed worker's slot is forked again: both workers answer /health 200 once it is back
      const deadline = Date.now() + 20_000;
      const healthy = new Set<string | undefined>();
      while (healthy.size < 2 && Date.now() < deadline) {
        const answer = await freshRequest(outpost.httpAddress!, 'GET', '/health').catch(() => undefined);
        if (answer?.status === 200) healthy.add(answer.worker);
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.equal(healthy.size, 2, 'both workers answer healthy after the kill');
      assert.ok(deliveredSubjects.size >= acked.length, 'every acknowledged send was delivered');
    } finally {
      clearInterval(releaser);
      for (const release of heldReplies.splice(0)) release();
    }
  });
});
