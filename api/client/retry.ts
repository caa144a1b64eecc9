/**
 * When the client tries a request again, as pure functions (no clock, no
 * sockets) so they are tested with fixed numbers: 429 and 503 (the server did
 * not take the request and says so), and network failures when repeating the
 * request cannot do it twice. Delays grow exponentially with full jitter,
 * are bounded, and never undercut a server's Retry-After; a Retry-After longer
 * than the bound gives up at once rather than leave a caller waiting blindly.
 * It must never retry a request that may have been carried out unless the
 * request is idempotent (a GET, a DELETE, or a send with an Idempotency-Key).
 */

export interface RetryPolicy {
  /** Tries after the first; 0 = never retry. */
  retries: number;
  /** Bound of the first delay; each further one doubles it. */
  baseDelayMs: number;
  /** No single wait is longer; a Retry-After past it ends the retries. */
  maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };

/** How a try ended, as far as retrying cares. */
export type TryOutcome =
  | { kind: 'answer'; status: number; retryAfterSeconds: number | undefined }
  /** `maybeProcessed`: the request reached the server, which may have acted on it before the connection broke. */
  | { kind: 'network'; maybeProcessed: boolean };

/** Statuses that mean "not done, try later": rate limited, or the server cannot take it now (queue full, storage failing). */
const RETRYABLE_STATUSES = new Set([429, 503]);

/**
 * The wait before try `attempt + 1` (attempt counts from 1), or undefined when
 * the outcome is final. `repeatable`: running the request twice does no harm
 * (idempotent method or Idempotency-Key). `random` is in [0, 1).
 */
export function retryDelayFor(attempt: number, outcome: TryOutcome, repeatable: boolean, policy: RetryPolicy, random: () => number = Math.random): number | undefined {
  if (attempt > policy.retries) return undefined;
  if (outcome.kind === 'network') {
    if (outcome.maybeProcessed && !repeatable) return undefined;
  } else if (!RETRYABLE_STATUSES.has(outcome.status)) {
    return undefined;
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  // full jitter: clients that failed together do not come back together
  const jittered = Math.floor(random() * ceiling);
  const asked = outcome.kind === 'answer' && outcome.retryAfterSeconds !== undefined ? outcome.retryAfterSeconds * 1000 : undefined;
  if (asked === undefined) return jittered;
  if (asked > policy.maxDelayMs) return undefined;
  return Math.max(asked, jittered);
}

/** Seconds from a Retry-After header (delta-seconds or an HTTP date); undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, now: number): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}
