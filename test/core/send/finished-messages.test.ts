/**
 * A message leaves the spool (record, body, recipients) once every recipient
 * has a final outcome on disk, and only then; message:done says so once.
 * Real DNS server and destination MX, Outpost in process; the spool is read
 * after a stop.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { Level } from 'level';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

describe('finished messages leave the spool', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost | undefined;

  beforeEach(async () => {
    // Two domains on one MX: a message to both is two attempts. The MX holds the 250 of each
    // until both attempts of that message have sent their data, so the two outcomes are
    // recorded side by side, neither seeing the other's on disk yet.
    const waiting = new Map<string, () => void>();
    mx = await startMxServer({
      holdDataReply: (envelope) => {
        const pair = /^[ab](\d+)@/.exec(envelope.rcptTo[0] ?? '')?.[1];
        if (pair === undefined) return undefined;
        const other = waiting.get(pair);
        if (other) {
          waiting.delete(pair);
          other();
          return undefined;
        }
        return new Promise<void>((resolve) => waiting.set(pair, resolve));
      },
    });
    dns = await startDnsServer({
      'one.test': { MX: [{ exchange: 'mx.one.test', priority: 10 }] },
      'two.test': { MX: [{ exchange: 'mx.one.test', priority: 10 }] },
      'mx.one.test': { A: ['127.0.0.1'] },
    });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await mx.close();
    await dns.close();
  });

  /** Spool keys by kind after a clean stop (the data dir is kept until close()). */
  async function spoolKeys(running: TestOutpost): Promise<string[]> {
    await running.outpost.stop(1000);
    const db = new Level<string, Buffer>(path.join(running.dataDir, 'spool'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const found: string[] = [];
    for await (const key of db.keys()) if (/^[mbr]!/.test(key)) found.push(key);
    await db.close();
    return found;
  }

  it('removes every message once delivered: one domain per message, and two domains delivered side by side', async () => {
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
    const done: string[] = [];
    server.outpost.events.on('message:done', ({ messageId }) => {
      done.push(messageId);
    });
    const send = (to: string[]) => server!.outpost.submit({ from: 'sender@outpost.test', to, raw: rawMessage({ from: 'sender@outpost.test', to }), source: 'internal' });
    const receipts = await Promise.all([
      ...Array.from({ length: 20 }, (_, index) => send([`single${index}@one.test`])),
      ...Array.from({ length: 20 }, (_, index) => send([`a${index}@one.test`, `b${index}@two.test`])),
    ]);
    for (const receipt of receipts) await waitForStatus(server.outpost, receipt.id, allFinal);
    const deadline = Date.now() + 5_000;
    while (done.length < receipts.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.deepEqual([...done].sort(), receipts.map((receipt) => receipt.id).sort(), 'message:done once per message');
    assert.deepEqual(await spoolKeys(server), [], 'nothing of a delivered message stays in the spool');
  });

  it('keeps a message while one of its recipients is deferred, with its body, and removes nothing early', async () => {
    await mx.close();
    mx = await startMxServer({ rcptReply: (address) => (address.endsWith('@two.test') ? '451 4.3.0 later' : undefined) });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env: { OUTPOST_RETRY_SCHEDULE: '1h' } });
    const to = ['now@one.test', 'later@two.test'];
    const receipt = await server.outpost.submit({ from: 'sender@outpost.test', to, raw: rawMessage({ from: 'sender@outpost.test', to }), source: 'internal' });
    await waitForStatus(server.outpost, receipt.id, (view) => view.recipients.every((recipient) => recipient.status === 'delivered' || recipient.status === 'deferred'));
    const keys = await spoolKeys(server);
    assert.deepEqual(keys.map((key) => key.split('!')[0]).sort(), ['b', 'm', 'r'], `record, body and the deferred recipient stay: ${keys.join(', ')}`);
    assert.ok(keys.some((key) => key.startsWith(`r!${receipt.id}!00001`)), 'the deferred one is the recipient kept');
  });
});
