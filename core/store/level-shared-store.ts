/**
 * SharedStore on the node's own LevelDB (the embedded default). Collections live
 * under `k!<collection>!<id>`, temporary values under `t!<key>` with their expiry
 * inside the value. Counters are kept in memory: on one node they need not
 * survive a restart, and a rate-limit window is short.
 */
import type { Level } from 'level';
import type { GroupCommitter } from '../spool/group-commit.js';
import { deepFreeze } from './deep-freeze.js';
import { KeyedSerializer } from './keyed-serializer.js';
import type { SharedCollection, SharedStore } from './shared-store.js';

/** How often expired temporary values are swept. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

/**
 * Collection entries kept in memory, parsed and deep-frozen. Every send reads
 * its account and sending domain several times (parsing a domain record's JSON
 * each time was 3% of the CPU of a send), and on one node every write goes
 * through this store, so the cache is exact; the bound keeps a large
 * collection (many suppressions) from living in memory whole. Frozen because
 * every caller shares one object: SharedCollection values are replaced with
 * put, never changed in place, and a change in place throws here instead of
 * corrupting what the next reader sees.
 */
const READ_CACHE_ENTRIES = 10_000;

export class LevelSharedStore implements SharedStore {
  private readonly readCache = new Map<string, unknown>();
  private readonly counters = new Map<string, { count: number; resetAt: number }>();
  /** Serialises putIfAbsent per key: check and write must not interleave. */
  private readonly perKey = new KeyedSerializer();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly db: Level<string, Buffer>,
    private readonly committer: GroupCommitter,
    private readonly now: () => number = Date.now,
  ) {
    this.sweeper = setInterval(() => void this.sweepExpired(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  collection<T>(name: string): SharedCollection<T> {
    const prefix = `k!${name}!`;
    return {
      get: async (id) => {
        const key = prefix + id;
        const cached = this.readCache.get(key);
        if (cached !== undefined) return cached as T;
        // Read on the event loop: these records are small and hot, and an asynchronous get costs a
        // thread-pool round trip (more than the read itself), once per recipient for the
        // suppression list, where nearly every lookup misses. Nothing can finish between the read
        // and caching it; a write still in flight caches (or deletes) its own value when it lands.
        const stored = this.db.getSync(key);
        if (stored === undefined) return undefined;
        const value = deepFreeze(JSON.parse(stored.toString()) as T);
        this.remember(key, value);
        return value;
      },
      put: async (id, value) => {
        const json = JSON.stringify(value);
        await this.committer.write([{ type: 'put', key: prefix + id, value: Buffer.from(json) }]);
        // a copy of what was stored: the caller keeps its own object, unfrozen
        this.remember(prefix + id, deepFreeze(JSON.parse(json)));
      },
      delete: async (id) => {
        await this.committer.write([{ type: 'del', key: prefix + id }]);
        this.readCache.delete(prefix + id);
      },
      list: async () => {
        const values: T[] = [];
        for await (const stored of this.db.values({ gt: prefix, lt: `${prefix}~` })) values.push(JSON.parse(stored.toString()) as T);
        return values;
      },
    };
  }

  private remember(key: string, value: unknown): void {
    this.readCache.delete(key);
    this.readCache.set(key, value);
    // Maps iterate in insertion order: the first key is the least recently cached
    if (this.readCache.size > READ_CACHE_ENTRIES) this.readCache.delete(this.readCache.keys().next().value!);
  }

  async putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.perKey.run(key, async () => {
      if ((await this.getTemporary(key)) !== undefined) return false;
      await this.putWithTtl(key, value, ttlMs);
      return true;
    });
  }

  async getTemporary(key: string): Promise<string | undefined> {
    const stored = await this.db.get(`t!${key}`);
    if (stored === undefined) return undefined;
    const { expiresAt, value } = JSON.parse(stored.toString()) as { expiresAt: number; value: string };
    return expiresAt > this.now() ? value : undefined;
  }

  putWithTtl(key: string, value: string, ttlMs: number): Promise<void> {
    const stored = Buffer.from(JSON.stringify({ expiresAt: this.now() + ttlMs, value }));
    return this.committer.write([{ type: 'put', key: `t!${key}`, value: stored }]);
  }

  deleteTemporary(key: string): Promise<void> {
    return this.committer.write([{ type: 'del', key: `t!${key}` }]);
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const now = this.now();
    const counter = this.counters.get(key);
    if (!counter || counter.resetAt <= now) {
      this.counters.set(key, { count: 1, resetAt: now + windowMs });
      return 1;
    }
    counter.count++;
    return counter.count;
  }

  async count(key: string): Promise<number> {
    const counter = this.counters.get(key);
    return counter && counter.resetAt > this.now() ? counter.count : 0;
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private async sweepExpired(): Promise<void> {
    const now = this.now();
    const expired: { type: 'del'; key: string }[] = [];
    for await (const [key, stored] of this.db.iterator({ gt: 't!', lt: 't!~' })) {
      if ((JSON.parse(stored.toString()) as { expiresAt: number }).expiresAt <= now) expired.push({ type: 'del', key });
    }
    for (const [key, counter] of this.counters) if (counter.resetAt <= now) this.counters.delete(key);
    if (expired.length > 0) await this.committer.write(expired).catch(() => undefined);
  }
}
