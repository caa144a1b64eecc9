/**
 * The per-account send rate limit, one counter for every way in: a REST send
 * and an SMTP transaction (MAIL FROM) each count once against the same fixed
 * window on the clock, kept in the shared store so every process and node of
 * an instance counts together. Beyond the limit: rate_limited (REST 429 with
 * Retry-After, SMTP 451 4.7.1) until the window ends.
 */
import type { ApiConfig } from '../../config/index.js';
import { outpostError } from '../errors.js';
import type { SharedStore } from '../store/shared-store.js';

export class SendRateLimit {
  constructor(
    private readonly store: Pick<SharedStore, 'increment'>,
    private readonly limit: ApiConfig['rateLimit'],
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one send for `accountId`; throws rate_limited once the window's allowance is spent. */
  async count(accountId: string): Promise<void> {
    const { requests, windowMs } = this.limit;
    if (requests === 0) return;
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const count = await this.store.increment(`rate!send!${accountId}!${window}`, windowMs);
    if (count > requests) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
      throw outpostError(
        'rate_limited',
        `more than ${requests} sends in ${windowMs / 1000} s (OUTPOST_API_RATE_LIMIT / OUTPOST_API_RATE_WINDOW, REST and SMTP counted together); nothing was sent: retry after ${retryAfterSeconds} s`,
        { retryAfterSeconds },
      );
    }
  }
}
