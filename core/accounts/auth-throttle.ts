/**
 * Failed-AUTH throttling, counted per key (`ip:<address>` and `account:<id>`):
 * the first few failures are answered at once, each further one waits twice as
 * long as the last (up to a cap), and enough failures within the window lock the
 * key out, so AUTH is refused without even checking the password until the
 * lockout ends. Counting per account as well as per address stops a guesser
 * that spreads over many addresses.
 *
 * The counts and lockouts live in the shared store (rate-limit windows and
 * temporary values), so in cluster mode every node sees the same ones: a
 * guesser gains nothing by spreading over the nodes behind a load balancer.
 * A window starts at a key's first failure and lasts `windowMs`; counting
 * starts afresh after each lockout. The throttle never sleeps itself: the
 * caller waits the delay it returns.
 */
import type { AuthThrottleConfig } from '../../config/submission.js';
import type { SharedStore } from '../store/shared-store.js';

const failuresKey = (key: string) => `auth-failures:${key}`;
const lockoutKey = (key: string) => `auth-lockout:${key}`;

export class AuthThrottle {
  constructor(
    private readonly settings: AuthThrottleConfig,
    private readonly store: Pick<SharedStore, 'increment' | 'getTemporary' | 'putWithTtl'>,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the last of these keys' lockouts ends; 0 when none is locked out. */
  async lockedFor(keys: string[]): Promise<number> {
    const now = this.now();
    const ends = await Promise.all(keys.map(async (key) => Number((await this.store.getTemporary(lockoutKey(key))) ?? 0)));
    return Math.max(0, ...ends.map((end) => end - now));
  }

  /**
   * Counts one failure against each key. Returns how long to wait before answering
   * it (the longest of the keys' delays) and the keys this failure locked out.
   */
  async recordFailure(keys: string[]): Promise<{ delayMs: number; lockedOut: string[] }> {
    const { windowMs, lockoutFailures, lockoutMs } = this.settings;
    let delayMs = 0;
    const lockedOut: string[] = [];
    for (const key of keys) {
      const count = await this.store.increment(failuresKey(key), windowMs);
      // the count goes on within its window: every lockoutFailures-th failure locks, the ones between count from 1
      const sinceLockout = ((count - 1) % lockoutFailures) + 1;
      delayMs = Math.max(delayMs, this.delayAfter(sinceLockout));
      if (sinceLockout === lockoutFailures) {
        await this.store.putWithTtl(lockoutKey(key), String(this.now() + lockoutMs), lockoutMs);
        lockedOut.push(key);
      }
    }
    return { delayMs, lockedOut };
  }

  /** The delay before answering the `failures`-th failure in the window. */
  delayAfter(failures: number): number {
    const { freeFailures, delayMs, maxDelayMs } = this.settings;
    if (failures <= freeFailures) return 0;
    return Math.min(delayMs * 2 ** Math.min(failures - freeFailures - 1, 30), maxDelayMs);
  }
}
