/**
 * Shared state: what every node of a cluster must see the same (accounts,
 * domains, suppressions, idempotency keys, rate-limit windows, statistics). Organised as
 * named collections of JSON values (and sorted sets: the pending webhook
 * deliveries' due index), so it maps onto LevelDB key ranges on one node and
 * onto Redis hashes and sorted sets in cluster mode. It never holds the spool.
 */

export interface SharedCollection<T> {
  /** The stored value, frozen and possibly shared with other readers: change it by putting a new one. */
  get(id: string): Promise<T | undefined>;
  /** Writes durably (LevelDB: synced; Redis: acknowledged). */
  put(id: string, value: T): Promise<void>;
  /**
   * Writes `value` unless `id` holds one, and answers the value found there
   * (not written), or undefined when written. Of concurrent inserts of one id,
   * from any process or node, exactly one is written: the building block for
   * "the first one wins" (a domain's owner). Atomic against other inserts and
   * deleteIfEqual calls on the id (in Redis against every write; the
   * embedded store does not hold up plain puts and deletes for it).
   */
  insert(id: string, value: T): Promise<T | undefined>;
  delete(id: string): Promise<void>;
  /** Deletes the entry if it equals `expected` (as JSON text); true when deleted. Atomic as insert is. */
  deleteIfEqual(id: string, expected: T): Promise<boolean>;
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

/** Amounts to add to the counts under one key (SharedStore.addCounts). */
export interface CountAddition {
  key: string;
  counts: Readonly<Record<string, number>>;
}

/** Largest score a SharedSortedSet takes: scores are times in ms, or counts. */
export const MAX_SORTED_SCORE = Number.MAX_SAFE_INTEGER;

/** A member of a SharedSortedSet with its score. */
export interface ScoredMember {
  member: string;
  score: number;
}

export interface SortedRange {
  /** Lowest score included (default 0). */
  min?: number;
  /** Highest score included (default MAX_SORTED_SCORE). */
  max?: number;
  /** Highest score first (members of one score in reverse member order). */
  descending?: boolean;
  /** Members skipped before the first one returned. */
  offset?: number;
  limit: number;
}

/**
 * Members ordered by a whole-number score from 0 to MAX_SORTED_SCORE (a time,
 * in practice), members of one score in member order: a due index read with a
 * range up to now (as Redis' sorted sets are used for work queues), or a log
 * read newest first. A member is in the set once; putting it again moves it.
 */
export interface SharedSortedSet {
  /** Adds `member` with `score`, or moves it there; durable like a collection put. */
  put(member: string, score: number): Promise<void>;
  delete(member: string): Promise<void>;
  range(range: SortedRange): Promise<ScoredMember[]>;
}

/** Refuses a score the embedded store's keys (16 digits) and Redis (a double) could not both hold exactly. */
export function checkedScore(score: number): number {
  if (!Number.isSafeInteger(score) || score < 0) throw new RangeError(`sorted set score ${score} is not a whole number from 0 to ${MAX_SORTED_SCORE}`);
  return score;
}

export interface SharedStore {
  collection<T>(name: string): SharedCollection<T>;
  /** The sorted set `name` (same naming rules as collections). */
  sortedSet(name: string): SharedSortedSet;
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
  /**
   * Adds to named counts kept together under one key (statistics: a key per
   * time bucket, a name per figure). A key lives `ttlMs` from its first
   * addition. Unlike `increment` windows, these survive a restart in both stores.
   */
  addCounts(additions: readonly CountAddition[], ttlMs: number): Promise<void>;
  /** The counts under each key, in the order asked ({} for a key never added to, or expired). */
  readCounts(keys: readonly string[]): Promise<Record<string, number>[]>;
  close(): Promise<void>;
}
