/**
 * A storage write failure during submission, over REST and SMTP at once.
 * Outpost runs in a child process under a file size limit (`ulimit -f`), so
 * once the spool's LevelDB log reaches it every write genuinely fails (EFBIG,
 * as on a full disk): no fault is injected in the code. REST sends are answered
 * 200 only while writes succeed and 503 storage_failed after, never 500 or a
 * dropped connection; SMTP submissions (STARTTLS + AUTH PLAIN with the API key)
 * likewise get 250 or 451 4.3.0, never a dropped connection without a reply,
 * and the session stays usable; the server keeps answering, new SMTP sessions
 * included; and after a restart without the limit every message that got its
 * 200 or 250 is delivered while none answered 503 or 451 ever is.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { runHttpLoad, type LoadRequestRecord } from '../../support/http-load.js';
import { startMxServer, type ReceivedMessage, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, rawMessage, testEnv } from '../../support/outpost.js';
import { OutpostChild, withTimeout } from '../../support/outpost-process.js';
import { prepareRestSender, SENDER } from '../../support/rest-sender.js';
import { runSmtpLoad, type SmtpLoadOptions, type SmtpSendRecord } from '../../support/smtp-load.js';

/** The LevelDB log of a fresh spool fails (EFBIG) once it reaches this size: after a few dozen sends. */
const FILE_SIZE_LIMIT_KB = 256;
const START_TIMEOUT_MS = 20_000;
/** About 2 KB, as each REST send. */
const BODY = 'x'.repeat(76).concat('\r\n').repeat(26);
/** The registry's reply to storage_failed over SMTP: try again later, the client keeps the message. */
const STORAGE_REFUSAL = /^451 4\.3\.0 spool write failed/;

/** The number in a `storage <n>` (REST) subject. */
function sendIndexOf(message: ReceivedMessage): number | undefined {
  const match = /^Subject: storage (\d+)\r?$/m.exec(message.raw.toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

/** The number in a `storage smtp <n>` subject. */
function smtpIndexOf(message: ReceivedMessage): number | undefined {
  const match = /^Subject: storage smtp (\d+)\r?$/m.exec(message.raw.toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

/** SMTP message `index`: one recipient of its own, from the verified domain. */
function smtpMessage(index: number): ReturnType<SmtpLoadOptions['messageFor']> {
  const to = [`smtp${index}@dest.test`];
  return { from: SENDER, to, raw: rawMessage({ from: SENDER, to, subject: `storage smtp ${index}`, body: BODY }) };
}

/** The late SMTP check numbers its message from here, apart from the load's. */
const LATE_SMTP_INDEX = 10_000;

const describeSmtp = (record: SmtpSendRecord) => `smtp #${record.index} (session ${record.session}): ${record.response ?? record.error}`;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults: the spool cannot write during REST and SMTP submission (child process under ulimit -f)', function () {
  this.timeout(90_000);

  let dns: TestDnsServer | undefined;
  let mx: TestMxServer | undefined;
  let dataDir: string | undefined;
  const children: OutpostChild[] = [];

  afterEach(async () => {
    for (const child of children.splice(0)) await child.dispose();
    await mx?.close();
    await dns?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    mx = undefined;
    dns = undefined;
    dataDir = undefined;
  });

  it('answers 503 storage_failed and 451 4.3.0 (never 2xx, 500 or a dropped connection), keeps running, and every 200 and 250 survives the restart', async () => {
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    mx = await startMxServer();
    dataDir = await makeDataDir();
    const env = { ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }), OUTPOST_API_RATE_LIMIT: '0' };

    const limited = new OutpostChild({ env, fileSizeLimitKb: FILE_SIZE_LIMIT_KB });
    children.push(limited);
    await withTimeout(limited.ready, START_TIMEOUT_MS, () => 'limited child ready');
    assert.ok(limited.submissionAddress, 'the child reports its SMTP submission listener');
    const sender = await prepareRestSender(limited, dns);

    // send over both fronts until each has had a few refusals for storage (or a bound is hit: then the assertions below fail)
    let storageFailures = 0;
    let smtpStorageFailures = 0;
    const enough = () => storageFailures >= 10 && smtpStorageFailures >= 4;
    let firstSmtpReply: () => void = () => {};
    const smtpReplied = new Promise<void>((resolve) => (firstSmtpReply = resolve));
    const smtpLoad = runSmtpLoad({
      address: limited.submissionAddress,
      apiKey: sender.apiKey,
      sessions: 2,
      messages: 2_000,
      messageFor: smtpMessage,
      deadlineMs: 40_000,
      stop: enough,
      onRecord: (record) => {
        firstSmtpReply();
        if (record.code === 451 && STORAGE_REFUSAL.test(record.response ?? '')) smtpStorageFailures++;
      },
    });
    // REST starts once SMTP is under way, so the limit cannot be reached before SMTP had its chance at a 250
    await withTimeout(Promise.race([smtpReplied, smtpLoad]), START_TIMEOUT_MS, () => 'first SMTP reply');
    const { records } = await runHttpLoad({
      address: limited.httpAddress!,
      path: '/v1/mail/send',
      headers: sender.headers,
      bodyFor: (index) => ({ from: SENDER, to: [`rcpt${index}@dest.test`], subject: `storage ${index}`, text: BODY }),
      concurrency: 4,
      requests: 2_000,
      deadlineMs: 40_000,
      stop: enough,
      onRecord: (record) => {
        if (record.status === 503 && (record.body as { code?: string }).code === 'storage_failed') storageFailures++;
      },
    });
    const smtp = await smtpLoad;
    const codeOf = (record: LoadRequestRecord) => (record.body as { code?: string } | undefined)?.code;
    const summary = () =>
      JSON.stringify({ sent: records.length, storageFailures, smtpSent: smtp.records.length, smtpStorageFailures, output: limited.output.join('').slice(-1500) });
    const acked = records.filter((record) => record.status === 200);
    const refused = records.filter((record) => record.status === 503 && codeOf(record) === 'storage_failed');
    const otherAnswers = records.filter((record) => record.status !== 200 && !(record.status === 503 && codeOf(record) === 'storage_failed'));

    assert.ok(acked.length > 0, `some sends were durably queued before the limit: ${summary()}`);
    assert.ok(refused.length > 0, `sends past the limit were refused with 503 storage_failed: ${summary()}`);
    assert.deepEqual(
      otherAnswers.map((record) => `#${record.index}: ${record.status ?? record.error} ${JSON.stringify(record.body)}`),
      [],
      'no other answer: no 500, no dropped connection',
    );
    for (const record of refused) {
      const body = record.body as { message?: string };
      assert.match(body.message ?? '', /spool write failed/, 'the message says what failed');
      assert.doesNotMatch(body.message ?? '', /\n\s+at /, 'no stack trace');
      assert.ok(!(body.message ?? '').includes(dataDir!), `no server path in the answer: ${body.message}`);
    }

    const smtpAcked = smtp.records.filter((record) => record.code === 250);
    const smtpRefused = smtp.records.filter((record) => record.code === 451 && STORAGE_REFUSAL.test(record.response ?? ''));
    assert.deepEqual(smtp.sessionFailures, [], `every SMTP session connected, started TLS and authenticated: ${summary()}`);
    assert.ok(smtpAcked.length > 0, `some SMTP submissions were answered 250 before the limit: ${summary()}`);
    assert.ok(smtpRefused.length > 0, `SMTP submissions past the limit were answered 451 4.3.0: ${summary()}`);
    for (const record of smtpRefused) assert.ok(!record.response!.includes(dataDir!), `no server path in the reply: ${record.response}`);
    assert.deepEqual(
      smtp.records.filter((record) => record.code !== 250 && !smtpRefused.includes(record)).map(describeSmtp),
      [],
      'no other SMTP answer: no 5xx, no 421, no connection dropped without a reply',
    );
    // a refused transaction leaves the session usable: the same session was refused again (or accepted) after its RSET
    const refusedAgain = smtpRefused.filter((record) => smtp.records.some((later) => later.session === record.session && later.index > record.index));
    assert.ok(refusedAgain.length > 0, `an SMTP session went on after a 451: ${summary()}`);

    // the server keeps running: it still answers, says the spool is down, and keeps refusing sends cleanly
    assert.ok(limited.running, `the server is still running: ${summary()}`);
    const health = await fetch(`http://${limited.httpAddress}/health`);
    assert.equal(health.status, 503);
    assert.deepEqual(((await health.json()) as { failing?: string[] }).failing, ['spool']);
    const firstAckedId = (acked[0]!.body as { id: string }).id;
    const lookup = await fetch(`http://${limited.httpAddress}/v1/mail/messages/${firstAckedId}`, { headers: sender.headers });
    assert.equal(lookup.status, 200, 'reads are still served');
    const later = await fetch(`http://${limited.httpAddress}/v1/mail/send`, {
      method: 'POST',
      headers: { ...sender.headers, 'content-type': 'application/json' },
      body: JSON.stringify({ from: SENDER, to: ['late@dest.test'], subject: 'storage late', text: 'late' }),
    });
    assert.equal(later.status, 503);
    assert.equal(((await later.json()) as { code: string }).code, 'storage_failed');
    // a new SMTP session still gets through TLS and AUTH, and its message is refused the same way
    const lateSmtp = await runSmtpLoad({ address: limited.submissionAddress, apiKey: sender.apiKey, sessions: 1, messages: 1, messageFor: (index) => smtpMessage(LATE_SMTP_INDEX + index), deadlineMs: 10_000 });
    assert.deepEqual(lateSmtp.sessionFailures, [], 'a new SMTP session is served');
    assert.match(lateSmtp.records[0]?.response ?? JSON.stringify(lateSmtp.records), STORAGE_REFUSAL, 'and its message is answered 451 4.3.0');
    const limitedExit = await limited.stop('SIGTERM');
    assert.equal(limitedExit.signal, null, `the limited server stopped on its own terms: ${JSON.stringify(limitedExit)} ${summary()}`);

    // restart without the limit: every acknowledged send arrives, no refused one does
    const restarted = new OutpostChild({ env });
    children.push(restarted);
    await withTimeout(restarted.ready, START_TIMEOUT_MS, () => 'restarted child ready');
    const ackedIndexes = new Set(acked.map((record) => record.index));
    const smtpAckedIndexes = new Set(smtpAcked.map((record) => record.index));
    const deadline = Date.now() + 30_000;
    let missing: number[] = [];
    let smtpMissing: number[] = [];
    for (;;) {
      const arrived = new Set(mx.messages.map(sendIndexOf));
      const smtpArrived = new Set(mx.messages.map(smtpIndexOf));
      missing = [...ackedIndexes].filter((index) => !arrived.has(index));
      smtpMissing = [...smtpAckedIndexes].filter((index) => !smtpArrived.has(index));
      if (missing.length === 0 && smtpMissing.length === 0) {
        const stats = await restarted.stats();
        if (stats.queued === 0 && stats.active === 0) break;
      }
      if (Date.now() > deadline) break;
      await pause(50);
    }
    assert.deepEqual(missing, [], `every send answered 200 is delivered after the restart: ${summary()}`);
    assert.deepEqual(smtpMissing, [], `every SMTP submission answered 250 is delivered after the restart: ${summary()}`);
    const refusedIndexes = new Set(refused.map((record) => record.index));
    const phantoms = [...new Set(mx.messages.map(sendIndexOf))].filter((index) => index !== undefined && refusedIndexes.has(index));
    assert.deepEqual(phantoms, [], 'no send answered 503 is ever delivered');
    const smtpRefusedIndexes = new Set([...smtpRefused.map((record) => record.index), ...lateSmtp.records.map((record) => LATE_SMTP_INDEX + record.index)]);
    const smtpPhantoms = [...new Set(mx.messages.map(smtpIndexOf))].filter((index) => index !== undefined && smtpRefusedIndexes.has(index));
    assert.deepEqual(smtpPhantoms, [], 'no SMTP submission answered 451 is ever delivered');
    assert.deepEqual(await restarted.stop('SIGTERM'), { code: 0, signal: null });
  });
});
