/**
 * The shared store as a worker sees it with the embedded default: every call
 * is answered by the primary's store (LevelDB) over IPC, so all workers count
 * rate limits, idempotency keys and failed AUTHs together and see one set of
 * accounts, domains, suppressions and webhooks, as nodes do through Redis.
 *
 * Collection reads are cached here (absent entries too: most suppression
 * look-ups miss), because a message reads the same few records several times
 * (its domain for the sender check, DKIM and the return path, each recipient's
 * suppression entry) and each read would otherwise be an IPC round trip on both
 * processes' event loops. The primary tells every worker about each change it
 * writes (`store:changed`), and the entry is dropped; between the write and that
 * notice (well under a millisecond) a reader on another worker may still see the
 * old value, as it would had it read a moment earlier. Temporary values and
 * counters and counts are never cached: they are the cross-worker arithmetic;
 * nor are sorted sets (due indexes: read to find work, so they must be current).
 */
import { deepFreeze } from '../store/deep-freeze.js';
import type { CountAddition, ScoredMember, SharedCollection, SharedSortedSet, SharedStore, SortedRange } from '../store/shared-store.js';
import type { RpcChannel } from './rpc.js';

/** Entries cached at most (the oldest dropped first). */
const CACHED_ENTRIES = 10_000;
/** Marks a cached "no such entry". */
const ABSENT = Symbol('absent');

/** The notice the primary sends after a collection write. */
export interface StoreChange {
  collection: string;
  id: string;
}

export class IpcSharedStore implements SharedStore {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly channel: RpcChannel) {
    channel.onNotice<StoreChange>('store:changed', ({ collection, id }) => this.cache.delete(cacheKey(collection, id)));
  }

  collection<T>(name: string): SharedCollection<T> {
    return {
      get: async (id) => {
        const key = cacheKey(name, id);
        if (this.cache.has(key)) {
          const cached = this.cache.get(key);
          return cached === ABSENT ? undefined : (cached as T);
        }
        // frozen as the primary's own store freezes it: the cached object is shared by every caller
        const value = await this.channel.call<T | undefined>('store:get', name, id);
        if (value === undefined) {
          this.remember(key, ABSENT);
          return undefined;
        }
        const frozen = deepFreeze(value);
        this.remember(key, frozen);
        return frozen;
      },
      put: async (id, value) => {
        this.cache.delete(cacheKey(name, id));
        await this.channel.call('store:put', name, id, value);
      },
      insert: async (id, value) => {
        this.cache.delete(cacheKey(name, id));
        const existing = await this.channel.call<T | undefined>('store:insert', name, id, value);
        return existing === undefined ? undefined : deepFreeze(existing);
      },
      deleteIfEqual: async (id, expected) => {
        this.cache.delete(cacheKey(name, id));
        return this.channel.call<boolean>('store:deleteIfEqual', name, id, expected);
      },
      delete: async (id) => {
        this.cache.delete(cacheKey(name, id));
        await this.channel.call('store:delete', name, id);
      },
      list: () => this.channel.call<T[]>('store:list', name),
    };
  }

  sortedSet(name: string): SharedSortedSet {
    return {
      put: (member, score) => this.channel.call('store:sortedPut', name, member, score),
      delete: (member) => this.channel.call('store:sortedDelete', name, member),
      range: (range) => this.channel.call<ScoredMember[]>('store:sortedRange', name, range),
    };
  }

  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    return this.channel.call('store:putIfAbsent', key, value, ttlMs);
  }

  getTemporary(key: string): Promise<string | undefined> {
    return this.channel.call('store:getTemporary', key);
  }

  putWithTtl(key: string, value: string, ttlMs: number): Promise<void> {
    return this.channel.call('store:putWithTtl', key, value, ttlMs);
  }

  deleteTemporary(key: string): Promise<void> {
    return this.channel.call('store:deleteTemporary', key);
  }

  increment(key: string, windowMs: number): Promise<number> {
    return this.channel.call('store:increment', key, windowMs);
  }

  count(key: string): Promise<number> {
    return this.channel.call('store:count', key);
  }

  addCounts(additions: readonly CountAddition[], ttlMs: number): Promise<void> {
    return this.channel.call('store:addCounts', additions, ttlMs);
  }

  readCounts(keys: readonly string[]): Promise<Record<string, number>[]> {
    return this.channel.call('store:readCounts', keys);
  }

  /** The primary owns the store; a worker has nothing to close. */
  async close(): Promise<void> {}

  private remember(key: string, value: unknown): void {
    this.cache.delete(key);
    this.cache.set(key, value);
    if (this.cache.size > CACHED_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
  }
}

function cacheKey(collection: string, id: string): string {
  return `${collection}\u0000${id}`;
}

/**
 * The primary's side: answers the workers' store calls from its own store and
 * tells every worker about each collection write (`notifyChange`).
 */
export function serveSharedStore(channel: RpcChannel, store: SharedStore, notifyChange: (change: StoreChange) => void): void {
  channel.handle('store:get', (name: string, id: string) => store.collection(name).get(id));
  channel.handle('store:put', async (name: string, id: string, value: unknown) => {
    await store.collection(name).put(id, value);
    notifyChange({ collection: name, id });
  });
  channel.handle('store:insert', async (name: string, id: string, value: unknown) => {
    const existing = await store.collection(name).insert(id, value);
    if (existing === undefined) notifyChange({ collection: name, id });
    return existing;
  });
  channel.handle('store:deleteIfEqual', async (name: string, id: string, expected: unknown) => {
    const deleted = await store.collection(name).deleteIfEqual(id, expected);
    if (deleted) notifyChange({ collection: name, id });
    return deleted;
  });
  channel.handle('store:delete', async (name: string, id: string) => {
    await store.collection(name).delete(id);
    notifyChange({ collection: name, id });
  });
  channel.handle('store:list', (name: string) => store.collection(name).list());
  channel.handle('store:sortedPut', (name: string, member: string, score: number) => store.sortedSet(name).put(member, score));
  channel.handle('store:sortedDelete', (name: string, member: string) => store.sortedSet(name).delete(member));
  channel.handle('store:sortedRange', (name: string, range: SortedRange) => store.sortedSet(name).range(range));
  channel.handle('store:putIfAbsent', (key: string, value: string, ttlMs: number) => store.putIfAbsent(key, value, ttlMs));
  channel.handle('store:getTemporary', (key: string) => store.getTemporary(key));
  channel.handle('store:putWithTtl', (key: string, value: string, ttlMs: number) => store.putWithTtl(key, value, ttlMs));
  channel.handle('store:deleteTemporary', (key: string) => store.deleteTemporary(key));
  channel.handle('store:increment', (key: string, windowMs: number) => store.increment(key, windowMs));
  channel.handle('store:count', (key: string) => store.count(key));
  channel.handle('store:addCounts', (additions: CountAddition[], ttlMs: number) => store.addCounts(additions, ttlMs));
  channel.handle('store:readCounts', (keys: string[]) => store.readCounts(keys));
}
