/**
 * SharedStore on the node's own LevelDB (the embedded default). Collections live
 * under `k!<collection>!<id>`, temporary values under `t!<key>` with their expiry
 * inside the value. Counters are kept in memory: on one node they need not
 * survive a restart, and a rate-limit window is short. Counts (statistics) are
 * kept for months, so they are stored, under `c!<key>` with their expiry.
 * A sorted set's members are keys `z!<set>!<score, 16 digits>!<member>`, so a
 * range of scores is a range of keys; `zs!<set>!<member>` holds the member's
 * score, to find its key when it moves.
 */
import type { Level } from 'level';
import type { BatchOperation } from '../spool/batch.js';
import type { GroupCommitter } from '../spool/group-commit.js';
import { deepFreeze } from './deep-freeze.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { checkedScore, MAX_SORTED_SCORE, type CountAddition, type ScoredMember, type SharedCollection, type SharedSortedSet, type SharedStore } from './shared-store.js';

/** Counts under one key as stored (addCounts), with when they expire. */
interface StoredCounts {
  expiresAt: number;
  counts: Record<string, number>;
}

/** Digits of a sorted-set score in its key: enough for MAX_SORTED_SCORE, zero-padded so keys sort as numbers. */
const SCORE_DIGITS = 16;

function scoreText(score: number): string {
  return String(checkedScore(score)).padStart(SCORE_DIGITS, '0');
}

/** How often expired temporary values and counts are swept. */
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
  /** Serialises putIfAbsent, insert and deleteIfEqual per key: check and write must not interleave. */
  private readonly perKey = new KeyedSerializer();
  /** Serialises the changes of one sorted-set member: its old key is read, then replaced. */
  private readonly perMember = new KeyedSerializer();
  /** Serialises addCounts: its read, add and write must not interleave with another's. */
  private readonly countWrites = new KeyedSerializer();
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
    const collection: SharedCollection<T> = {
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
      // serialised per key (as putIfAbsent is): each reads only once the one before has landed
      insert: (id, value) =>
        this.perKey.run(prefix + id, async () => {
          const existing = await collection.get(id);
          if (existing === undefined) await collection.put(id, value);
          return existing;
        }),
      deleteIfEqual: (id, expected) =>
        this.perKey.run(prefix + id, async () => {
          const existing = await collection.get(id);
          if (existing === undefined || JSON.stringify(existing) !== JSON.stringify(expected)) return false;
          await collection.delete(id);
          return true;
        }),
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
    return collection;
  }

  sortedSet(name: string): SharedSortedSet {
    const entries = `z!${name}!`;
    const scoreKey = (member: string) => `zs!${name}!${member}`;
    const entryKey = (score: number, member: string) => `${entries}${scoreText(score)}!${member}`;
    /** Deletes the member's current key (if any), then adds `also`, in one synced batch. */
    const replace = (member: string, also: BatchOperation[]) =>
      this.perMember.run(scoreKey(member), async () => {
        const previous = await this.db.get(scoreKey(member));
        const removed: BatchOperation[] = previous === undefined ? [] : [{ type: 'del', key: entryKey(Number(previous.toString()), member) }];
        if (removed.length > 0 || also.length > 0) await this.committer.write([...removed, ...also]);
      });
    return {
      put: async (member, score) =>
        replace(member, [
          { type: 'put', key: entryKey(score, member), value: Buffer.alloc(0) },
          { type: 'put', key: scoreKey(member), value: Buffer.from(String(score)) },
        ]),
      delete: (member) => replace(member, [{ type: 'del', key: scoreKey(member) }]),
      range: async ({ min = 0, max = MAX_SORTED_SCORE, descending = false, offset = 0, limit }) => {
        const found: ScoredMember[] = [];
        if (limit <= 0) return found;
        // '"' follows '!': every key of score `max` sorts below `<max>"`
        const keys = this.db.keys({ gte: entries + scoreText(min), lt: `${entries}${scoreText(max)}"`, reverse: descending, limit: offset + limit });
        let skipped = 0;
        for await (const key of keys) {
          if (skipped++ < offset) continue;
          const rest = key.slice(entries.length);
          found.push({ member: rest.slice(SCORE_DIGITS + 1), score: Number(rest.slice(0, SCORE_DIGITS)) });
        }
        return found;
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

  addCounts(additions: readonly CountAddition[], ttlMs: number): Promise<void> {
    return this.countWrites.run('counts', async () => {
      const now = this.now();
      const keys = [...new Set(additions.map((addition) => `c!${addition.key}`))];
      const stored = new Map(keys.map((key, index) => [key, index] as const));
      const current = (await this.db.getMany(keys)).map((value) => liveCounts(value, now) ?? { expiresAt: now + ttlMs, counts: {} });
      for (const { key, counts } of additions) {
        const target = current[stored.get(`c!${key}`)!]!.counts;
        for (const [name, amount] of Object.entries(counts)) target[name] = (target[name] ?? 0) + amount;
      }
      await this.committer.write(keys.map((key, index) => ({ type: 'put', key, value: Buffer.from(JSON.stringify(current[index])) })));
    });
  }

  async readCounts(keys: readonly string[]): Promise<Record<string, number>[]> {
    const now = this.now();
    return (await this.db.getMany(keys.map((key) => `c!${key}`))).map((value) => liveCounts(value, now)?.counts ?? {});
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private async sweepExpired(): Promise<void> {
    const now = this.now();
    const expired: { type: 'del'; key: string }[] = [];
    for (const range of [{ gt: 't!', lt: 't!~' }, { gt: 'c!', lt: 'c!~' }]) {
      for await (const [key, stored] of this.db.iterator(range)) {
        if ((JSON.parse(stored.toString()) as { expiresAt: number }).expiresAt <= now) expired.push({ type: 'del', key });
      }
    }
    for (const [key, counter] of this.counters) if (counter.resetAt <= now) this.counters.delete(key);
    if (expired.length > 0) await this.committer.write(expired).catch(() => undefined);
  }
}

/** Stored counts that have not expired, or undefined. */
function liveCounts(value: Buffer | undefined, now: number): StoredCounts | undefined {
  if (value === undefined) return undefined;
  const stored = JSON.parse(value.toString()) as StoredCounts;
  return stored.expiresAt > now ? stored : undefined;
}
