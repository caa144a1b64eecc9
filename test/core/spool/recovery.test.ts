/**
 * Start-up recovery from the spool: damaged records are quarantined and the
 * rest delivered; a torn LevelDB log tail never stops the start; stored
 * next-attempt times survive a restart.
 */
import assert from 'node:assert/strict';
import { readdir, stat, truncate } from 'node:fs/promises';
import path from 'node:path';
import { Level } from 'level';
import { definePlugin } from '../../../core/plugins/plugin-api.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type MxServerOptions, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, makeDataDir, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

describe('spool recovery at start', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let dataDir: string;
  const running: TestOutpost[] = [];

  async function setUp(mxOptions: MxServerOptions = {}): Promise<void> {
    mx = await startMxServer(mxOptions);
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    dataDir = await makeDataDir();
  }

  async function start(options: { deliver: boolean; retrySchedule?: string; quarantined?: string[] }): Promise<TestOutpost> {
    const watcher = definePlugin({
      name: 'quarantine-watcher',
      register: (api) => api.on('spool:quarantined', ({ messageId }) => void options.quarantined?.push(messageId)),
    });
    const server = await startOutpost({
      dnsAddress: dns.address,
      deliveryPort: mx.port,
      dataDir,
      env: { OUTPOST_RETRY_SCHEDULE: options.retrySchedule ?? '100ms' },
      plugins: [watcher],
      // with no delivery slot the queue only fills: the state a crash leaves behind
      tune: (config) => void (options.deliver ? undefined : (config.delivery.maxConnections = 0)),
    });
    running.push(server);
    return server;
  }

  async function stop(server: TestOutpost): Promise<void> {
    await server.outpost.stop(1000);
    running.splice(running.indexOf(server), 1);
  }

  async function queueMessages(server: TestOutpost, count: number): Promise<string[]> {
    const ids: string[] = [];
    for (let index = 0; index < count; index++) {
      const to = [`user${index}@dest.test`];
      ids.push((await server.outpost.submit({ from: 'a@outpost.test', to, raw: rawMessage({ from: 'a@outpost.test', to }), source: 'internal' })).id);
    }
    return ids;
  }

  afterEach(async () => {
    for (const server of running.splice(0)) await server.outpost.stop(1000);
    await mx?.close();
    await dns?.close();
  });

  it('quarantines a truncated message record and delivers the rest of the queue', async () => {
    await setUp();
    const first = await start({ deliver: false });
    const ids = await queueMessages(first, 5);
    await stop(first);

    const db = new Level<string, Buffer>(path.join(dataDir, 'spool'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const lastKey = `m!${ids[4]}`;
    const stored = (await db.get(lastKey))!;
    await db.put(lastKey, stored.subarray(0, stored.length - 7), { sync: true });
    await db.close();

    const quarantined: string[] = [];
    const second = await start({ deliver: true, quarantined });
    assert.deepEqual(quarantined, [ids[4]]);
    for (const id of ids.slice(0, 4)) assert.equal((await waitForStatus(second.outpost, id, allFinal)).recipients[0]!.status, 'delivered');
    assert.equal(mx.messages.length, 4);
    assert.equal(second.outpost.queuedRecipients, 0);
    await stop(second);

    const reopened = new Level<string, Buffer>(path.join(dataDir, 'spool'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const kept = await reopened.keys({ gt: 'x!', lt: 'x!~' }).all();
    await reopened.close();

    assert.ok(kept.includes(`x!${lastKey}`), `quarantine holds the record: ${kept.join(', ')}`);
    const again = new Level<string, Buffer>(path.join(dataDir, 'spool'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    const spoolLeft: string[][] = [];
    for (const prefix of ['m!', 'b!', 'r!']) spoolLeft.push(await again.keys({ gt: prefix, lt: `${prefix}~` }).all());
    await again.close();
    assert.deepEqual(spoolLeft, [[], [], []], 'delivered messages leave no records or bodies behind');
    assert.ok(kept.some((key) => key.startsWith(`x!b!${ids[4]}`)), 'quarantine holds the body');
  });

  for (const [damage, spoil] of [
    ['fails its digest', async (db: Level<string, Buffer>, chunkKey: string) => {
      const chunk = Buffer.from((await db.get(chunkKey))!);
      chunk[chunk.length - 3] ^= 0x20;
      await db.put(chunkKey, chunk, { sync: true });
    }],
    ['lost a chunk', (db: Level<string, Buffer>, chunkKey: string) => db.del(chunkKey, { sync: true })],
  ] as const) {
    it(`quarantines a message whose body ${damage} at delivery, sending nothing of it`, async () => {
      await setUp();
      const first = await start({ deliver: false });
      const ids = await queueMessages(first, 2);
      await stop(first);

      const db = new Level<string, Buffer>(path.join(dataDir, 'spool'), { keyEncoding: 'utf8', valueEncoding: 'buffer' });
      await spoil(db, `b!${ids[0]}!000000`);
      await db.close();

      const quarantined: string[] = [];
      const second = await start({ deliver: true, quarantined });
      await waitForStatus(second.outpost, ids[1]!, allFinal);
      await waitForStatus(second.outpost, ids[0]!, (view) => view.events.some((event) => event.type === 'quarantined'));
      assert.deepEqual(quarantined, [ids[0]]);
      assert.equal(mx.messages.length, 1);
      assert.match(mx.messages[0]!.raw.toString(), /To: user1@dest\.test/);
    });
  }

  it('starts after the LevelDB log lost its tail, delivering every message whose write survived', async () => {
    await setUp();
    const first = await start({ deliver: false });
    const ids = await queueMessages(first, 6);
    await stop(first);

    const spoolDir = path.join(dataDir, 'spool');
    const logs = (await readdir(spoolDir)).filter((name) => name.endsWith('.log'));
    const sizes = await Promise.all(logs.map(async (name) => ({ name, size: (await stat(path.join(spoolDir, name))).size })));
    const largest = sizes.sort((a, b) => b.size - a.size)[0]!;
    assert.ok(largest.size > 100, 'the queued messages are in the LevelDB log');
    await truncate(path.join(spoolDir, largest.name), largest.size - 50);

    const second = await start({ deliver: true });
    const statuses = await Promise.all(ids.map((id) => second.outpost.getMessage(id)));
    const surviving = ids.filter((_, index) => statuses[index] !== undefined);
    assert.ok(surviving.length >= 4 && surviving.length < 6, `${surviving.length} of 6 messages survived the torn tail`);
    for (const id of surviving) assert.equal((await waitForStatus(second.outpost, id, allFinal)).recipients[0]!.status, 'delivered');
    assert.equal(mx.messages.length, surviving.length);
  });

  it('keeps next-attempt times across a restart instead of retrying everything at once', async () => {
    await setUp({ rcptReply: (address) => (address.startsWith('slow') ? '451 4.3.0 try later' : undefined) });
    const first = await start({ deliver: true, retrySchedule: '1h' });
    const to = ['slow@dest.test'];
    const deferred = await first.outpost.submit({ from: 'a@outpost.test', to, raw: rawMessage({ from: 'a@outpost.test', to }), source: 'internal' });
    await waitForStatus(first.outpost, deferred.id, (view) => view.recipients[0]!.status === 'deferred');
    await stop(first);

    const second = await start({ deliver: true, retrySchedule: '1h' });
    assert.equal(second.outpost.queuedRecipients, 1);
    // a message sent after the restart goes out at once, over the same scheduler
    const [fresh] = await queueMessages(second, 1);
    await waitForStatus(second.outpost, fresh!, allFinal);
    assert.equal(mx.rcptAttempts.get('slow@dest.test'), 1, 'the deferred recipient was not retried before its time');
    assert.equal(second.outpost.queuedRecipients, 1);
  });
});
