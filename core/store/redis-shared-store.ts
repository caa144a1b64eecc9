/**
 * SharedStore on Redis (cluster mode, OUTPOST_REDIS_URL): every node sees the
 * same accounts, domains, idempotency keys and rate-limit windows. A collection
 * is one hash (`<namespace>:c:<name>`), temporary values are keys with a PX expiry,
 * counters use INCR + PEXPIRE in one MULTI so a window always ends.
 */
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { outpostError } from '../errors.js';
import { deepFreeze } from './deep-freeze.js';
import type { SharedCollection, SharedStore } from './shared-store.js';

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
      delete: async (id) => {
        await this.redis.hdel(hash, id);
      },
      list: async () => Object.values(await this.redis.hgetall(hash)).map((stored) => JSON.parse(stored) as T),
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

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
