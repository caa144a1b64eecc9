/**
 * Failed-AUTH throttling, counted per key (`ip:<address>` and `account:<id>`):
 * the first few failures are answered at once, each further one waits twice as
 * long as the last (up to a cap), and enough failures within the window lock the
 * key out, so AUTH is refused without even checking the password until the
 * lockout ends. Counting per account as well as per address stops a guesser
 * that spreads over many addresses. A pure object with an injected clock: it
 * never sleeps itself, the caller waits the delay it returns.
 */
import type { AuthThrottleConfig } from '../../config/submission.js';

interface KeyState {
  /** Times of recent failures, oldest first; never more than lockoutFailures. */
  failures: number[];
  lockedUntil: number;
}

/** Past this many tracked keys, entries with nothing recent are swept on the next failure. */
const SWEEP_THRESHOLD = 10_000;

export class AuthThrottle {
  private readonly keys = new Map<string, KeyState>();

  constructor(private readonly settings: AuthThrottleConfig, private readonly now: () => number = Date.now) {}

  /** Milliseconds until the last of these keys' lockouts ends; 0 when none is locked out. */
  lockedFor(keys: string[]): number {
    const now = this.now();
    return Math.max(0, ...keys.map((key) => (this.keys.get(key)?.lockedUntil ?? 0) - now));
  }

  /**
   * Counts one failure against each key. Returns how long to wait before answering
   * it (the longest of the keys' delays) and the keys this failure locked out.
   */
  recordFailure(keys: string[]): { delayMs: number; lockedOut: string[] } {
    const now = this.now();
    if (this.keys.size > SWEEP_THRESHOLD) this.sweep(now);
    let delayMs = 0;
    const lockedOut: string[] = [];
    for (const key of keys) {
      const state = this.keys.get(key) ?? { failures: [], lockedUntil: 0 };
      state.failures = state.failures.filter((at) => at > now - this.settings.windowMs);
      state.failures.push(now);
      delayMs = Math.max(delayMs, this.delayAfter(state.failures.length));
      if (state.failures.length >= this.settings.lockoutFailures) {
        state.lockedUntil = now + this.settings.lockoutMs;
        // counting starts afresh once the lockout is over
        state.failures = [];
        lockedOut.push(key);
      }
      this.keys.set(key, state);
    }
    return { delayMs, lockedOut };
  }

  /** The delay before answering the `failures`-th failure in the window. */
  delayAfter(failures: number): number {
    const { freeFailures, delayMs, maxDelayMs } = this.settings;
    if (failures <= freeFailures) return 0;
    return Math.min(delayMs * 2 ** Math.min(failures - freeFailures - 1, 30), maxDelayMs);
  }

  private sweep(now: number): void {
    for (const [key, state] of this.keys) {
      const recent = state.failures.some((at) => at > now - this.settings.windowMs);
      if (!recent && state.lockedUntil <= now) this.keys.delete(key);
    }
  }
}
