/**
 * One log line per delivery outcome, the way operators grep Postfix's
 * `status=sent`: Outpost in process with a pino logger writing into memory, a
 * scripted destination that accepts one recipient, defers one and refuses one.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { loadConfig } from '../../../config/index.js';
import { Outpost } from '../../../core/server.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type MxServerOptions, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, rawMessage, testEnv, waitForStatus } from '../../support/outpost.js';

interface LogLine {
  level: number;
  msg: string;
  [field: string]: unknown;
}

describe('delivery: one log line per recipient outcome', function () {
  this.timeout(30_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let outpost: Outpost | undefined;
  let lines: LogLine[];

  async function setUp(mxOptions: MxServerOptions, env: Record<string, string> = {}): Promise<void> {
    mx = await startMxServer(mxOptions);
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    lines = [];
    // pino writes one JSON line per call; each write here is one of them
    const memory = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as LogLine);
        callback();
      },
    });
    const fullEnv = { ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir: await makeDataDir() }), ...env };
    outpost = await Outpost.start({ config: loadConfig(fullEnv), env: fullEnv, logger: pino({ level: 'info' }, memory), plugins: [] });
  }

  afterEach(async () => {
    await outpost?.stop(1000);
    outpost = undefined;
    await mx?.close();
    await dns?.close();
  });

  const outcomeLines = (recipient: string) => lines.filter((line) => line.msg.startsWith('delivery: ') && line.recipient === recipient);

  it('logs delivered, deferred and bounced once each, with the server, TLS, reply, attempt and delay', async () => {
    await setUp(
      { rcptReply: (address) => (address.startsWith('later') ? '451 4.3.0 try later' : address.startsWith('nobody') ? '550 5.1.1 no such user' : undefined) },
      // the deferred recipient waits an hour: exactly one attempt in this test
      { OUTPOST_RETRY_SCHEDULE: '1h' },
    );
    const to = ['user@dest.test', 'later@dest.test', 'nobody@dest.test'];
    const receipt = await outpost!.submit({ from: 'sender@outpost.test', to, raw: rawMessage({ from: 'sender@outpost.test', to }), source: 'internal' });
    await waitForStatus(outpost!, receipt.id, (view) => view.recipients.every((recipient) => recipient.status !== 'queued'));

    const deliveredLines = outcomeLines('user@dest.test');
    assert.equal(deliveredLines.length, 1, `one line for the delivered recipient, got ${JSON.stringify(deliveredLines)}`);
    const delivered = deliveredLines[0];
    assert.equal(delivered!.msg, 'delivery: delivered');
    assert.equal(delivered!.level, 30, 'info');
    assert.equal(delivered!.messageId, receipt.id);
    assert.equal(delivered!.mx, 'mx.dest.test');
    assert.equal(delivered!.ip, '127.0.0.1');
    assert.equal(delivered!.tls, null, 'the test MX offers no STARTTLS');
    assert.match(String(delivered!.reply), /^250 /);
    assert.equal(delivered!.attempt, 1);
    assert.equal(typeof delivered!.delayMs, 'number');

    const deferredLines = outcomeLines('later@dest.test');
    assert.equal(deferredLines.length, 1, `one line for the deferred recipient, got ${JSON.stringify(deferredLines)}`);
    const deferred = deferredLines[0];
    assert.equal(deferred!.msg, 'delivery: deferred');
    assert.equal(deferred!.reply, '451 4.3.0 try later');
    assert.equal(deferred!.attempt, 1);
    assert.equal(typeof deferred!.retryAt, 'string');

    const bouncedLines = outcomeLines('nobody@dest.test');
    assert.equal(bouncedLines.length, 1, `one line for the bounced recipient, got ${JSON.stringify(bouncedLines)}`);
    const bounced = bouncedLines[0];
    assert.equal(bounced!.msg, 'delivery: bounced');
    assert.equal(bounced!.reply, '550 5.1.1 no such user');
    assert.equal(bounced!.reason, 'userunknown');
    assert.equal(bounced!.mx, 'mx.dest.test');
  });

  it('logs a recipient whose queue time ran out as expired, once', async () => {
    await setUp({ rcptReply: () => '451 4.3.0 try later' }, { OUTPOST_RETRY_SCHEDULE: '50ms', OUTPOST_MAX_QUEUE_TIME: '300ms' });
    const receipt = await outpost!.submit({ from: 'sender@outpost.test', to: ['user@dest.test'], raw: rawMessage({ from: 'sender@outpost.test', to: ['user@dest.test'] }), source: 'internal' });
    const view = await waitForStatus(outpost!, receipt.id, (each) => each.recipients[0]!.status === 'bounced');
    const logged = outcomeLines('user@dest.test');
    assert.equal(logged.length, view.recipients[0]!.attempts, 'one line per attempt');
    assert.deepEqual(logged.map((line) => line.msg), [...Array(logged.length - 1).fill('delivery: deferred'), 'delivery: expired']);
    assert.equal(logged.at(-1)!.reason, 'expired');
  });
});
