/**
 * Shared state: what every node of a cluster must see the same (accounts,
 * domains, suppressions, idempotency keys, rate-limit windows). Organised as
 * named collections of JSON values, so it maps onto a LevelDB key range on one
 * node and onto Redis hashes in cluster mode. It never holds the spool.
 */

export interface SharedCollection<T> {
  /** The stored value, frozen and possibly shared with other readers: change it by putting a new one. */
  get(id: string): Promise<T | undefined>;
  /** Writes durably (LevelDB: synced; Redis: acknowledged). */
  put(id: string, value: T): Promise<void>;
  delete(id: string): Promise<void>;
  /** Every entry; collections are small (accounts, a tenant's domains, ...). */
  list(): Promise<T[]>;
}

/**
 * The name of one account's collection of `kind` (suppressions, webhooks...):
 * `!`, `%` and `~` in the account id are escaped, so no account id given by code
 * can name a range inside another account's (the embedded store keys
 * collections as `k!<name>!<id>`).
 */
export function accountCollectionName(kind: string, accountId: string): string {
  return `${kind}:${accountId.replace(/[!%~]/g, (character) => `%${character.charCodeAt(0).toString(16)}`)}`;
}

export interface SharedStore {
  collection<T>(name: string): SharedCollection<T>;
  /**
   * Stores `value` under `key` for `ttlMs` unless the key exists; true when
   * stored. The building block for idempotency keys and locks.
   */
  putIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean>;
  /** The value stored by putIfAbsent/putWithTtl, if not expired. */
  getTemporary(key: string): Promise<string | undefined>;
  /** Overwrites a temporary value, keeping it for `ttlMs`. */
  putWithTtl(key: string, value: string, ttlMs: number): Promise<void>;
  deleteTemporary(key: string): Promise<void>;
  /** Adds 1 to a counter that lives `windowMs`; returns the new count (rate limits). */
  increment(key: string, windowMs: number): Promise<number>;
  /** A counter's value without changing it; 0 when it does not exist or its window ended. */
  count(key: string): Promise<number>;
  close(): Promise<void>;
}
