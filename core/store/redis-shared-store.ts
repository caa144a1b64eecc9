/**
 * SharedStore on Redis (cluster mode, OUTPOST_REDIS_URL): every node sees the
 * same accounts, domains, idempotency keys and rate-limit windows. A collection
 * is one hash (`<namespace>:c:<name>`), temporary values are keys with a PX expiry,
 * counters use INCR + PEXPIRE in one MULTI so a window always ends, counts
 * (statistics) are hashes (`<namespace>:h:<key>`) added to with HINCRBY, a
 * sorted set is a Redis sorted set (`<namespace>:z:<name>`).
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { outpostError } from '../errors.js';
import { deepFreeze } from './deep-freeze.js';
import { checkedScore, type CountAddition, type ScoredMember, type SharedCollection, type SharedSortedSet, type SharedStore } from './shared-store.js';

/** A collection's insert: HSETNX that also answers the value it found, in one atomic step. */
const INSERT_SCRIPT = `local existing = redis.call('HGET', KEYS[1], ARGV[1])
if existing then return existing end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return false`;

/** A collection's deleteIfEqual: compare and delete in one atomic step. */
const DELETE_IF_EQUAL_SCRIPT = `if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end
return 0`;

export class RedisSharedStore implements SharedStore {
  private constructor(
    /** The connection, also used by the cluster status store (core/status/cluster-status-store.ts). */
    readonly redis: Redis,
    /** Key prefix, so several deployments (or test runs) can share one Redis. */
    readonly prefix: string,
  ) {}

  /** Connects and checks the server answers, so a wrong URL fails the start with a clear line. */
  static async connect(url: string, logger: Logger, namespace = 'outpost'): Promise<RedisSharedStore> {
    const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
    redis.on('error', (error: Error) => logger.warn({ err: error }, 'redis connection problem'));
    try {
      await redis.connect();
      await redis.ping();
    } catch (error) {
      redis.disconnect();
      throw outpostError('storage_failed', `cannot reach Redis at OUTPOST_REDIS_URL (${url.replace(/\/\/[^@]*@/, '//***@')}): ${(error as Error).message}`, { cause: error });
    }
    return new RedisSharedStore(redis, `${namespace}:`);
  }

  collection<T>(name: string): SharedCollection<T> {
    const hash = `${this.prefix}c:${name}`;
    return {
      get: async (id) => {
        const stored = await this.redis.hget(hash, id);
        // frozen like the embedded store's, so code that changed a value in place fails in either mode
        return stored === null ? undefined : deepFreeze(JSON.parse(stored) as T);
      },
      put: async (id, value) => {
        await this.redis.hset(hash, id, JSON.stringify(value));
      },
      insert: async (id, value) => {
        const existing = (await this.redis.eval(INSERT_SCRIPT, 1, hash, id, JSON.stringify(value))) as string | null;
        return existing === null ? undefined : deepFreeze(JSON.parse(existing) as T);
      },
      deleteIfEqual: async (id, expected) => (await this.redis.eval(DELETE_IF_EQUAL_SCRIPT, 1, hash, id, JSON.stringify(expected))) === 1,
      delete: async (id) => {
        await this.redis.hdel(hash, id);
      },
      list: async () => Object.values(await this.redis.hgetall(hash)).map((stored) => JSON.parse(stored) as T),
    };
  }

  sortedSet(name: string): SharedSortedSet {
    const key = `${this.prefix}z:${name}`;
    return {
      put: async (member, score) => {
        await this.redis.zadd(key, checkedScore(score), member);
      },
      delete: async (member) => {
        await this.redis.zrem(key, member);
      },
      range: async ({ min = 0, max = Number.MAX_SAFE_INTEGER, descending = false, offset = 0, limit }) => {
        if (limit <= 0) return [];
        const flat = descending
          ? await this.redis.zrevrangebyscore(key, max, min, 'WITHSCORES', 'LIMIT', offset, limit)
          : await this.redis.zrangebyscore(key, min, max, 'WITHSCORES', 'LIMIT', offset, limit);
        // member, score, member, score...
        const found: ScoredMember[] = [];
        for (let index = 0; index + 1 < flat.length; index += 2) found.push({ member: flat[index]!, score: Number(flat[index + 1]) });
        return found;
      },
    };
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`${this.prefix}t:${key}`, value, 'PX', ttlMs, 'NX')) === 'OK';
  }

  async getTemporary(key: string): Promise<string | undefined> {
    return (await this.redis.get(`${this.prefix}t:${key}`)) ?? undefined;
  }

  async putWithTtl(key: string, value: string, ttlMs: number): Promise<void> {
    await this.redis.set(`${this.prefix}t:${key}`, value, 'PX', ttlMs);
  }

  async deleteTemporary(key: string): Promise<void> {
    await this.redis.del(`${this.prefix}t:${key}`);
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const counter = `${this.prefix}n:${key}`;
    const results = await this.redis.multi().incr(counter).pexpire(counter, windowMs, 'NX').exec();
    const [error, count] = results?.[0] ?? [new Error('no reply')];
    if (error) throw error;
    return Number(count);
  }

  async count(key: string): Promise<number> {
    return Number((await this.redis.get(`${this.prefix}n:${key}`)) ?? 0);
  }

  async addCounts(additions: readonly CountAddition[], ttlMs: number): Promise<void> {
    if (additions.length === 0) return;
    // one MULTI: another node's addition lands wholly before or after, and every key gets its expiry
    const transaction = this.redis.multi();
    for (const { key, counts } of additions) {
      const hash = `${this.prefix}h:${key}`;
      for (const [name, amount] of Object.entries(counts)) transaction.hincrby(hash, name, amount);
      transaction.pexpire(hash, ttlMs, 'NX');
    }
    const results = await transaction.exec();
    const failed = results?.find(([error]) => error) ?? (results ? undefined : [new Error('no reply')]);
    if (failed?.[0]) throw failed[0];
  }

  async readCounts(keys: readonly string[]): Promise<Record<string, number>[]> {
    if (keys.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.hgetall(`${this.prefix}h:${key}`);
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, fields]) => {
      if (error) throw error;
      return Object.fromEntries(Object.entries(fields as Record<string, string>).map(([name, value]) => [name, Number(value)]));
    });
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
