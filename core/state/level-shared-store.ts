/**
 * SharedStore on the node's own LevelDB (the embedded default). Collections live
 * under `k!<collection>!<id>`, temporary values under `t!<key>` with their expiry
 * inside the value. Counters are kept in memory: on one node they need not
 * survive a restart, and a rate-limit window is short.
 */
import type { Level } from 'level';
import type { GroupCommitter } from '../spool/group-commit.js';
import { KeyedSerializer } from './keyed-serializer.js';
import type { SharedCollection, SharedStore } from './shared-store.js';

/** How often expired temporary values are swept. */
const SWEEP_INTERVAL_MS = 10 * 60_000;

export class LevelSharedStore implements SharedStore {
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
        const stored = await this.db.get(prefix + id);
        return stored === undefined ? undefined : (JSON.parse(stored.toString()) as T);
      },
      put: (id, value) => this.committer.write([{ type: 'put', key: prefix + id, value: Buffer.from(JSON.stringify(value)) }]),
      delete: (id) => this.committer.write([{ type: 'del', key: prefix + id }]),
      list: async () => {
        const values: T[] = [];
        for await (const stored of this.db.values({ gt: prefix, lt: `${prefix}~` })) values.push(JSON.parse(stored.toString()) as T);
        return values;
      },
    };
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
