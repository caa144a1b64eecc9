// ClusterStatusStore's copies to the real Redis when they fail: tried again until
// Redis takes them, given up (and logged) after the configured tries.
// (message-listing.test.ts runs the listing suite on it; test/core/state/cluster.test.ts
// runs two Outpost nodes.)
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { Level } from 'level';
import { pino } from 'pino';
import { SpoolBatch } from '../../../core/spool/batch.js';
import { ClusterStatusStore } from '../../../core/status/cluster-status-store.js';
import { LevelStatusStore } from '../../../core/status/status-store.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

describe('cluster status store: copies to Redis', () => {
  let dir: string;
  let db: Level<string, Buffer>;
  let redis: Redis;
  let prefix: string;
  let logLines: { level: number; msg: string }[];
  let store: ClusterStatusStore;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'outpost-cluster-status-'));
    db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await db.open();
    redis = new Redis(REDIS_URL);
    prefix = `outpost-test-${randomBytes(6).toString('hex')}:`;
    logLines = [];
  });

  afterEach(async () => {
    await store.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await db.close();
    await rm(dir, { recursive: true, force: true });
  });

  function open(options: { copyTries: number }): ClusterStatusStore {
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        logLines.push(JSON.parse(chunk.toString()) as { level: number; msg: string });
        done();
      },
    });
    return new ClusterStatusStore(new LevelStatusStore(db), redis, prefix, pino({ level: 'warn' }, sink), { copyRetryMs: 30, ...options });
  }

  /** Stages and commits a message for acct1; returns its id. */
  async function addMessage(): Promise<string> {
    const id = `m${randomBytes(4).toString('hex')}`;
    const now = Date.now();
    const batch = new SpoolBatch();
    store.putMessage(batch, { id, accountId: 'acct1', from: 'a@acme.test', subject: 'hello', tags: [], createdAt: now, size: 1 }, [
      { address: 'user@dest.test', status: 'queued', attempts: 0, lastResponse: null, updatedAt: now },
    ]);
    await db.batch(batch.operations);
    batch.runCommitted();
    await store.flush();
    return id;
  }

  async function listedIds(): Promise<string[] | Error> {
    return store.list('acct1', { limit: 10 }).then((page) => page.items.map((item) => item.id), (error: Error) => error);
  }

  it('tries a failed copy again until Redis takes it', async () => {
    store = open({ copyTries: 100 });
    // the account's index key holds a string: ZADD fails (WRONGTYPE) until it is gone
    await redis.set(`${prefix}status-index:acct1`, 'in the way');
    const id = await addMessage();
    assert.ok((await listedIds()) instanceof Error);
    assert.ok(logLines.some((line) => line.level === 40 && /trying again in 30 ms/.test(line.msg)), JSON.stringify(logLines));

    await redis.del(`${prefix}status-index:acct1`);
    const deadline = Date.now() + 5000;
    let listed = await listedIds();
    while (!(Array.isArray(listed) && listed.length === 1) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      listed = await listedIds();
    }
    assert.deepEqual(listed, [id]);
  });

  it('gives up after copyTries, saying so in the log', async () => {
    store = open({ copyTries: 3 });
    await redis.set(`${prefix}status-index:acct1`, 'in the way');
    await addMessage();
    const deadline = Date.now() + 5000;
    while (!logLines.some((line) => line.level === 50) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      await store.flush();
    }
    assert.deepEqual(logLines.map((line) => line.level), [40, 40, 50]);
    assert.match(logLines[2]!.msg, /not copied to Redis after repeated tries/);
  });
});
