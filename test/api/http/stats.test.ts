/**
 * GET /v1/stats end to end: real sends through a scripted destination MX
 * (delivered, a hard bounce, a deferral then delivery, a suppressed and a
 * test-mode recipient), opens by a person and by a machine; the counts per
 * account, tag and domain match what was sent, another account sees none of
 * them, they survive a restart on the embedded store, and two nodes sharing
 * Redis answer alike.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Redis } from 'ioredis';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { freePort } from '../../support/free-port.js';
import { createAccount, request, type HttpTarget } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, makeDataDir, startOutpost, testEnv, waitForStatus, type TestOutpost } from '../../support/outpost.js';
import { OutpostChild, withTimeout } from '../../support/outpost-process.js';
import { prepareRestSender, SENDER } from '../../support/rest-sender.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PERSON_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

type Counts = Record<string, number | Record<string, number>>;
interface StatsJson {
  interval: string;
  from: string;
  to: string;
  items: ({ start: string } & Counts)[];
  totals: Counts;
}

const ZERO = {
  accepted: 0, delivered: 0, deferred: 0, bounced: 0, bounced_hard: 0, bounced_soft: 0, bounce_reasons: {}, complained: 0,
  opened: 0, opened_human: 0, opened_machine: 0, clicked: 0, clicked_human: 0, clicked_machine: 0, unsubscribed: 0, suppressed: 0,
};

/** Polls GET /v1/stats until its totals equal `expected` (counts are written about once a second). */
async function statsReaching(target: HttpTarget, key: string, query: string, expected: Counts): Promise<StatsJson> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await request<StatsJson>(target, 'GET', `/v1/stats${query}`, { key });
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    try {
      assert.deepEqual(answer.body.totals, { ...ZERO, ...expected });
      return answer.body;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

async function removeNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

describe('GET /v1/stats', function () {
  this.timeout(60_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  const nodes: TestOutpost[] = [];

  beforeEach(async () => {
    mx = await startMxServer({
      rcptReply: (address, attempt) => {
        if (address.startsWith('nobody@')) return '550 5.1.1 no such user';
        if (address.startsWith('later@') && attempt === 1) return '451 4.3.0 try again later';
        return undefined;
      },
    });
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
  });

  afterEach(async () => {
    for (const node of nodes.splice(0)) await node.close();
    await mx.close();
    await dns.close();
  });

  async function send(target: TestOutpost, key: string, fields: Record<string, unknown>): Promise<string> {
    const sent = await request<{ id: string }>(target.outpost, 'POST', '/v1/mail/send', { key, json: { from: 'news@acme.test', subject: 'Hello', text: 'Hello.', ...fields } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await waitForStatus(target.outpost, sent.body.id, allFinal);
    return sent.body.id;
  }

  /** The sends whose counts the tests check, from `first` (and `second`, when two nodes share the work). */
  async function sendTheMix(first: TestOutpost, key: string, second = first): Promise<void> {
    assert.equal((await request(first.outpost, 'POST', '/v1/suppressions', { key, json: { address: 'gone@dest.test' } })).status, 201);
    await send(first, key, { to: ['ok@dest.test', 'nobody@dest.test'], tags: ['welcome'] });
    await send(second, key, { to: ['later@dest.test', 'gone@dest.test'], tags: ['news', 'weekly'] });
    await send(first, key, { to: ['try@dest.test'], test_mode: true });
  }

  const everything = { accepted: 4, delivered: 2, deferred: 1, bounced: 1, bounced_hard: 1, bounce_reasons: { userunknown: 1 }, suppressed: 1 };

  it('counts each account\'s recipients per hour and day, by tag and by domain, and opens by people apart from machines', async () => {
    const httpPort = await freePort();
    nodes.push(await startOutpost({
      dnsAddress: dns.address,
      deliveryPort: mx.port,
      env: { OUTPOST_HTTP_PORT: String(httpPort), OUTPOST_PUBLIC_URL: `http://127.0.0.1:${httpPort}`, OUTPOST_TRACKING_MACHINE_WINDOW: '0s' },
    }));
    const [node] = nodes as [TestOutpost];
    const account = await createAccount(node.outpost);
    const other = await createAccount(node.outpost, 'other');
    await addVerifiedDomain(node.outpost, dns, account.apiKey, 'acme.test');
    await sendTheMix(node, account.apiKey);

    const hourly = await statsReaching(node.outpost, account.apiKey, '?interval=hour', everything);
    assert.equal(hourly.items.length, 25, 'the default range: the last 24 hours, the current one included');
    assert.deepEqual(hourly.items.at(-1), { ...hourly.items.at(-1), ...ZERO, ...everything }, 'everything happened in the current hour');
    assert.equal(Date.parse(hourly.items.at(-1)!.start) % 3_600_000, 0);
    const daily = await statsReaching(node.outpost, account.apiKey, '', everything);
    assert.equal(daily.interval, 'day');
    assert.equal(Date.parse(daily.items.at(-1)!.start) % 86_400_000, 0);

    await statsReaching(node.outpost, account.apiKey, '?tag=welcome', { accepted: 2, delivered: 1, bounced: 1, bounced_hard: 1, bounce_reasons: { userunknown: 1 } });
    await statsReaching(node.outpost, account.apiKey, '?tag=weekly&interval=hour', { accepted: 1, delivered: 1, deferred: 1, suppressed: 1 });
    await statsReaching(node.outpost, account.apiKey, '?domain=ACME.test', everything);
    await statsReaching(node.outpost, account.apiKey, '?domain=other.test', {});
    await statsReaching(node.outpost, other.apiKey, '', {});

    // an open by a person, one by a link scanner, and a click by a person
    const tracked = await send(node, account.apiKey, { to: ['reader@dest.test'], html: '<p>Hi <a href="https://acme.test/offer">offer</a></p>', open_tracking: true, click_tracking: true });
    const raw = mx.messages.at(-1)!.raw.toString().replace(/=\r\n/g, '').replace(/=3D/g, '=');
    const pixel = /(http:\/\/127\.0\.0\.1:\d+\/t\/o\/[^"]+)"/.exec(raw)![1]!;
    const link = /(http:\/\/127\.0\.0\.1:\d+\/t\/c\/[^"]+)"/.exec(raw)![1]!;
    assert.equal((await fetch(pixel, { headers: { 'user-agent': PERSON_USER_AGENT } })).status, 200);
    assert.equal((await fetch(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (compatible; Proofpoint scanner)' } })).status, 200);
    assert.equal((await fetch(link, { headers: { 'user-agent': PERSON_USER_AGENT }, redirect: 'manual' })).status, 302);
    const engaged = { accepted: 5, delivered: 3, opened: 2, opened_human: 1, opened_machine: 1, clicked: 1, clicked_human: 1 };
    await statsReaching(node.outpost, account.apiKey, '', { ...everything, ...engaged });
    assert.ok(tracked);
  });

  it('refuses a bad query with a 400 naming the parameter, and asks for the account key', async () => {
    nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port }));
    const [node] = nodes as [TestOutpost];
    const { apiKey } = await createAccount(node.outpost);
    const cases: [string, string][] = [
      ['?interval=week', 'interval'],
      ['?from=yesterday', 'from'],
      ['?from=2026-01-02&to=2026-01-01', 'to'],
      ['?tag=a&domain=acme.test', 'domain'],
      ['?from=2020-01-01&to=2026-01-01&interval=hour', 'from'],
      ['?tags=a', 'tags'],
      ['?tag=a&tag=b', 'tag'],
    ];
    for (const [query, field] of cases) {
      const answer = await request<{ code: string; details: { field: string }[] }>(node.outpost, 'GET', `/v1/stats${query}`, { key: apiKey });
      assert.equal(answer.status, 400, query);
      assert.equal(answer.body.code, 'invalid_request');
      assert.deepEqual(answer.body.details.map((detail) => detail.field), [field], query);
    }
    assert.equal((await request(node.outpost, 'GET', '/v1/stats')).status, 401);
  });

  it('keeps the counts across a restart on the embedded store', async () => {
    const dataDir = await makeDataDir();
    nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }));
    const account = await createAccount(nodes[0]!.outpost);
    await addVerifiedDomain(nodes[0]!.outpost, dns, account.apiKey, 'acme.test');
    await sendTheMix(nodes[0]!, account.apiKey);
    // stopped at once: what was counted in the last second is written on the way down
    await nodes.pop()!.close();
    nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }));
    const answer = await request<StatsJson>(nodes[0]!.outpost, 'GET', '/v1/stats', { key: account.apiKey });
    assert.deepEqual(answer.body.totals, { ...ZERO, ...everything });
  });

  it('counts once with workers (OUTPOST_WORKERS=2): every worker answers the same counts', async function () {
    this.timeout(90_000);
    const child = new OutpostChild({ env: { ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir: await makeDataDir() }), OUTPOST_WORKERS: '2' } });
    try {
      await withTimeout(child.ready, 60_000, () => `primary with workers ready; output: ${child.output.join('')}`);
      const sender = await prepareRestSender(child, dns);
      for (const to of [['ok@dest.test'], ['nobody@dest.test', 'two@dest.test']]) {
        const sent = await request(child, 'POST', '/v1/mail/send', { key: sender.apiKey, json: { from: SENDER, to, subject: 'hi', text: 'hi' } });
        assert.equal(sent.status, 200, JSON.stringify(sent.body));
      }
      const expected = { ...ZERO, accepted: 3, delivered: 2, bounced: 1, bounced_hard: 1, bounce_reasons: { userunknown: 1 } };
      const byWorker = new Map<string, unknown>();
      const deadline = Date.now() + 20_000;
      while (byWorker.size < 2 && Date.now() < deadline) {
        // a connection of its own each, so either worker may answer
        const { worker, body } = await new Promise<{ worker: string; body: StatsJson }>((resolve, reject) => {
          const address = child.httpAddress!;
          http.get({ host: '127.0.0.1', port: Number(address.slice(address.lastIndexOf(':') + 1)), path: '/v1/stats', agent: false, headers: { authorization: `Bearer ${sender.apiKey}` } }, (response) => {
            let text = '';
            response.on('data', (chunk: Buffer) => (text += chunk.toString()));
            response.on('end', () => resolve({ worker: String(response.headers['x-outpost-worker']), body: JSON.parse(text) as StatsJson }));
          }).on('error', reject);
        });
        if (JSON.stringify(body.totals) === JSON.stringify(expected)) byWorker.set(worker, body.totals);
        else await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.deepEqual([...byWorker.keys()].sort(), ['1', '2'], 'both workers answered with the counts of the mail sent');
    } finally {
      await child.stop();
    }
  });

  it('answers alike on two nodes sharing Redis, counting the mail each of them sent', async () => {
    const namespace = `outpost-test-${randomBytes(6).toString('hex')}`;
    try {
      const env = { OUTPOST_REDIS_URL: REDIS_URL, OUTPOST_REDIS_NAMESPACE: namespace, OUTPOST_SECRET_KEY: randomBytes(32).toString('hex') };
      nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env }));
      nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env }));
      const [first, second] = nodes as [TestOutpost, TestOutpost];
      const account = await createAccount(first.outpost);
      await addVerifiedDomain(first.outpost, dns, account.apiKey, 'acme.test');
      await sendTheMix(first, account.apiKey, second);
      const fromFirst = await statsReaching(first.outpost, account.apiKey, '?interval=hour', everything);
      const fromSecond = await statsReaching(second.outpost, account.apiKey, '?interval=hour', everything);
      assert.deepEqual(fromSecond.items, fromFirst.items);
      await statsReaching(second.outpost, account.apiKey, '?tag=news', { accepted: 1, delivered: 1, deferred: 1, suppressed: 1 });
    } finally {
      for (const node of nodes.splice(0)) await node.close();
      await removeNamespace(namespace);
    }
  });
});
