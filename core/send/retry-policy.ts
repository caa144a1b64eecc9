/**
 * When to try a recipient again, and when to give up. Pure functions of the
 * attempt count, the queue time and the clock, so they are tested with plain
 * numbers. The retry schedule is data (OUTPOST_RETRY_SCHEDULE).
 */

export interface RetryPolicy {
  /** Delays after the 1st, 2nd... failed attempt; the last repeats. */
  scheduleMs: number[];
  /** A recipient queued longer than this bounces instead of being retried. */
  maxQueueTimeMs: number;
}

/** Delay after the `attempts`-th failed attempt (1-based). */
export function retryDelayFor(attempts: number, scheduleMs: number[]): number {
  return scheduleMs[Math.min(Math.max(attempts, 1), scheduleMs.length) - 1]!;
}

export type RetryDecision = { action: 'retry'; nextAttemptAt: number } | { action: 'give-up'; reason: string };

/**
 * After a temporary failure: retry at the scheduled time, clamped so the last
 * attempt happens when the queue time runs out; past that, give up.
 */
export function decideAfterTemporaryFailure(attempts: number, queuedAt: number, now: number, policy: RetryPolicy): RetryDecision {
  const expiresAt = queuedAt + policy.maxQueueTimeMs;
  if (now >= expiresAt) {
    return { action: 'give-up', reason: `gave up after ${attempts} attempt${attempts === 1 ? '' : 's'} over ${formatDuration(now - queuedAt)} (OUTPOST_MAX_QUEUE_TIME)` };
  }
  return { action: 'retry', nextAttemptAt: Math.min(now + retryDelayFor(attempts, policy.scheduleMs), expiresAt) };
}

function formatDuration(milliseconds: number): string {
  const units: [number, string][] = [[86_400_000, 'd'], [3_600_000, 'h'], [60_000, 'm'], [1000, 's']];
  for (const [size, unit] of units) if (milliseconds >= size) return `${Math.round(milliseconds / size)}${unit}`;
  return `${milliseconds}ms`;
}
