/**
 * A storage write failure during REST submission. Outpost runs in a child
 * process under a file size limit (`ulimit -f`), so once the spool's LevelDB
 * log reaches it every write genuinely fails (EFBIG, as on a full disk): no
 * fault is injected in the code. Sends are answered 200 only while writes
 * succeed and 503 storage_failed after, never 500 or a dropped connection;
 * the server keeps answering; and after a restart without the limit every
 * message that got its 200 is delivered while none answered 503 ever is.
 * (The SMTP submission side, 451 4.3.0, waits for the SMTP listener.)
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { runHttpLoad, type LoadRequestRecord } from '../../support/http-load.js';
import { startMxServer, type ReceivedMessage, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, testEnv } from '../../support/outpost.js';
import { OutpostChild, withTimeout } from '../../support/outpost-process.js';
import { prepareRestSender, SENDER } from '../../support/rest-sender.js';

/** The LevelDB log of a fresh spool fails (EFBIG) once it reaches this size: after a few dozen sends. */
const FILE_SIZE_LIMIT_KB = 256;
const START_TIMEOUT_MS = 20_000;

/** The number in a `storage <n>` subject. */
function sendIndexOf(message: ReceivedMessage): number | undefined {
  const match = /^Subject: storage (\d+)\r?$/m.exec(message.raw.toString('latin1'));
  return match ? Number(match[1]) : undefined;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('faults: the spool cannot write during REST submission (child process under ulimit -f)', function () {
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

  it('answers 503 storage_failed (never 2xx or 500), keeps running, and every 200 survives the restart', async () => {
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    mx = await startMxServer();
    dataDir = await makeDataDir();
    const env = { ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }), OUTPOST_API_RATE_LIMIT: '0' };

    const limited = new OutpostChild({ env, fileSizeLimitKb: FILE_SIZE_LIMIT_KB });
    children.push(limited);
    await withTimeout(limited.ready, START_TIMEOUT_MS, () => 'limited child ready');
    const sender = await prepareRestSender(limited, dns);

    // send until a few have been refused for storage (or a bound is hit: then the assertions below fail)
    let storageFailures = 0;
    const { records } = await runHttpLoad({
      address: limited.httpAddress!,
      path: '/v1/mail/send',
      headers: sender.headers,
      bodyFor: (index) => ({ from: SENDER, to: [`rcpt${index}@dest.test`], subject: `storage ${index}`, text: 'x'.repeat(76).concat('\r\n').repeat(26) }),
      concurrency: 4,
      requests: 2_000,
      deadlineMs: 40_000,
      stop: () => storageFailures >= 10,
      onRecord: (record) => {
        if (record.status === 503 && (record.body as { code?: string }).code === 'storage_failed') storageFailures++;
      },
    });
    const codeOf = (record: LoadRequestRecord) => (record.body as { code?: string } | undefined)?.code;
    const summary = () => JSON.stringify({ sent: records.length, storageFailures, output: limited.output.join('').slice(-1500) });
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
    }

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
    const limitedExit = await limited.stop('SIGTERM');
    assert.equal(limitedExit.signal, null, `the limited server stopped on its own terms: ${JSON.stringify(limitedExit)} ${summary()}`);

    // restart without the limit: every acknowledged send arrives, no refused one does
    const restarted = new OutpostChild({ env });
    children.push(restarted);
    await withTimeout(restarted.ready, START_TIMEOUT_MS, () => 'restarted child ready');
    const ackedIndexes = new Set(acked.map((record) => record.index));
    const deadline = Date.now() + 30_000;
    let missing: number[] = [];
    for (;;) {
      const arrived = new Set(mx.messages.map(sendIndexOf));
      missing = [...ackedIndexes].filter((index) => !arrived.has(index));
      if (missing.length === 0) {
        const stats = await restarted.stats();
        if (stats.queued === 0 && stats.active === 0) break;
      }
      if (Date.now() > deadline) break;
      await pause(50);
    }
    assert.deepEqual(missing, [], `every send answered 200 is delivered after the restart: ${summary()}`);
    const refusedIndexes = new Set(refused.map((record) => record.index));
    const phantoms = [...new Set(mx.messages.map(sendIndexOf))].filter((index) => index !== undefined && refusedIndexes.has(index));
    assert.deepEqual(phantoms, [], 'no send answered 503 is ever delivered');
    assert.deepEqual(await restarted.stop('SIGTERM'), { code: 0, signal: null });
  });
});
