/**
 * SharedStore sorted sets, the same checks on each implementation: the
 * embedded store (LevelDB, also across a reopen), Redis (the real server on
 * 127.0.0.1:6379, in a namespace of its own) and a worker's view of the
 * embedded store over IPC. They hold the due index of pending webhook
 * deliveries, so a range up to a time and a newest-first page must agree
 * everywhere, ties included.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { Spool } from '../../../core/spool/spool.js';
import { LevelSharedStore } from '../../../core/store/level-shared-store.js';
import { RedisSharedStore } from '../../../core/store/redis-shared-store.js';
import type { SharedStore } from '../../../core/store/shared-store.js';
import { IpcSharedStore, serveSharedStore } from '../../../core/workers/ipc-shared-store.js';
import { RpcChannel, type IpcPort } from '../../../core/workers/rpc.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Two ends of an in-memory IPC link; messages are copied as the structured clone a real channel makes. */
function portPair(): [IpcPort, IpcPort] {
  const ends = [new EventEmitter(), new EventEmitter()] as const;
  const port = (own: EventEmitter, other: EventEmitter): IpcPort => ({
    send(message: unknown) {
      const copy = structuredClone(message);
      setImmediate(() => other.emit('message', copy));
      return true;
    },
    on(event: string, listener: (message: unknown) => void) {
      return own.on(event, listener);
    },
  });
  return [port(ends[0], ends[1]), port(ends[1], ends[0])];
}

async function removeNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  const keys = await redis.keys(`${namespace}:*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
}

interface Subject {
  store: SharedStore;
  /** The same data seen afresh (a reopened LevelDB, a new connection), or undefined when that means nothing new. */
  reopen(): Promise<SharedStore>;
  close(): Promise<void>;
}

const implementations: Record<string, () => Promise<Subject>> = {
  async level() {
    const directory = await mkdtemp(path.join(tmpdir(), 'outpost-sorted-set-'));
    let spool = await Spool.open(directory);
    let store = new LevelSharedStore(spool.db, spool.committer);
    return {
      store,
      async reopen() {
        await store.close();
        await spool.close();
        spool = await Spool.open(directory);
        store = new LevelSharedStore(spool.db, spool.committer);
        return store;
      },
      async close() {
        await store.close();
        await spool.close();
        await rm(directory, { recursive: true, force: true });
      },
    };
  },
  async redis() {
    const namespace = `outpost-test-${randomBytes(6).toString('hex')}`;
    const stores = [await RedisSharedStore.connect(REDIS_URL, pino({ level: 'silent' }), namespace)];
    return {
      store: stores[0]!,
      async reopen() {
        stores.push(await RedisSharedStore.connect(REDIS_URL, pino({ level: 'silent' }), namespace));
        return stores.at(-1)!;
      },
      async close() {
        for (const store of stores) await store.close();
        await removeNamespace(namespace);
      },
    };
  },
  async 'ipc (a worker of the embedded store)'() {
    const level = await implementations.level!();
    const [primaryPort, workerPort] = portPair();
    serveSharedStore(new RpcChannel(primaryPort, 5000), level.store, () => undefined);
    const worker = new IpcSharedStore(new RpcChannel(workerPort, 5000));
    return { store: worker, reopen: async () => level.store, close: () => level.close() };
  },
};

for (const [name, start] of Object.entries(implementations)) {
  describe(`SharedStore sorted sets: ${name}`, () => {
    let subject: Subject;
    beforeEach(async () => {
      subject = await start();
    });
    afterEach(() => subject.close());

    it('orders members by score, then member; moves a member put again; ranges by score both ways with offset and limit', async () => {
      const set = subject.store.sortedSet('due');
      await set.put('c', 30);
      await set.put('a', 10);
      await set.put('b2', 20);
      await set.put('b1', 20);
      await set.put('late', 1_700_000_000_000);
      await set.put('moved', 5);
      await set.put('moved', 25);
      assert.deepEqual(await set.range({ limit: 10 }), [
        { member: 'a', score: 10 },
        { member: 'b1', score: 20 },
        { member: 'b2', score: 20 },
        { member: 'moved', score: 25 },
        { member: 'c', score: 30 },
        { member: 'late', score: 1_700_000_000_000 },
      ]);
      assert.deepEqual((await set.range({ max: 20, limit: 10 })).map((entry) => entry.member), ['a', 'b1', 'b2'], 'up to a score, inclusive');
      assert.deepEqual((await set.range({ min: 20, max: 25, limit: 10 })).map((entry) => entry.member), ['b1', 'b2', 'moved']);
      assert.deepEqual((await set.range({ max: 30, limit: 2 })).map((entry) => entry.member), ['a', 'b1']);
      assert.deepEqual((await set.range({ descending: true, limit: 3 })).map((entry) => entry.member), ['late', 'c', 'moved'], 'highest first');
      assert.deepEqual((await set.range({ descending: true, offset: 3, limit: 2 })).map((entry) => entry.member), ['b2', 'b1'], 'ties in reverse member order');
      assert.deepEqual(await set.range({ max: 9, limit: 10 }), []);
      assert.deepEqual(await set.range({ limit: 0 }), []);

      await set.delete('b1');
      await set.delete('never-there');
      assert.deepEqual((await set.range({ limit: 10 })).map((entry) => entry.member), ['a', 'b2', 'moved', 'c', 'late']);
      assert.deepEqual(await subject.store.sortedSet('other').range({ limit: 10 }), [], 'sets are separate');
      await assert.rejects(set.put('x', -1), /not a whole number/);
      await assert.rejects(set.put('x', 1.5), /not a whole number/);

      const again = (await subject.reopen()).sortedSet('due');
      assert.deepEqual((await again.range({ limit: 10 })).map((entry) => [entry.member, entry.score]), [['a', 10], ['b2', 20], ['moved', 25], ['c', 30], ['late', 1_700_000_000_000]], 'kept');
    });
  });
}
