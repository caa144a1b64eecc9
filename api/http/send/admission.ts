/**
 * Whether a send may start at all, checked before its body is read: the
 * account's rate limit (fixed windows on the clock, counted in the shared store
 * so every node of a cluster counts together; 429 with Retry-After until the
 * window ends) and the queue-size guard (503 while this node's queue is full).
 */
import type { ApiConfig } from '../../../config/index.js';
import { outpostError } from '../../../core/errors.js';
import type { SharedStore } from '../../../core/intake.js';

export class SendAdmission {
  constructor(
    private readonly store: SharedStore,
    private readonly rateLimit: ApiConfig['rateLimit'],
    /** The intake's queue guard (throws queue_full). */
    private readonly checkQueueRoom: () => void,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(accountId: string): Promise<void> {
    await this.countAgainstRateLimit(accountId);
    this.checkQueueRoom();
  }

  private async countAgainstRateLimit(accountId: string): Promise<void> {
    const { requests, windowMs } = this.rateLimit;
    if (requests === 0) return;
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const count = await this.store.increment(`rate!send!${accountId}!${window}`, windowMs);
    if (count > requests) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
      throw outpostError('rate_limited', `more than ${requests} sends in ${windowMs / 1000} s (OUTPOST_API_RATE_LIMIT / OUTPOST_API_RATE_WINDOW); nothing was sent: retry after ${retryAfterSeconds} s`, { retryAfterSeconds: retryAfterSeconds });
    }
  }
}
