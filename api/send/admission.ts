/**
 * Whether a send may start at all, checked before its body is read: the
 * account's rate limit (fixed windows on the clock, counted in the shared store
 * so every node of a cluster counts together; 429 with Retry-After until the
 * window ends) and the queue-size guard (503 while this node's queue is full).
 */
import type { ApiConfig } from '../../config/index.js';
import { QueueFullError, RateLimitedError } from '../../core/errors.js';
import type { SharedStore } from '../../core/state/shared-store.js';

export class SendAdmission {
  constructor(
    private readonly store: SharedStore,
    private readonly limits: Pick<ApiConfig, 'rateLimit' | 'maxQueuedRecipients'>,
    private readonly now: () => number = Date.now,
  ) {}

  async admit(accountId: string, queuedRecipients: number): Promise<void> {
    await this.countAgainstRateLimit(accountId);
    if (queuedRecipients >= this.limits.maxQueuedRecipients) {
      throw new QueueFullError(
        `the queue holds ${queuedRecipients} recipients, its limit (OUTPOST_MAX_QUEUED_RECIPIENTS); nothing was sent: retry in a few minutes, once deliveries have drained it`,
      );
    }
  }

  private async countAgainstRateLimit(accountId: string): Promise<void> {
    const { requests, windowMs } = this.limits.rateLimit;
    if (requests === 0) return;
    const now = this.now();
    const window = Math.floor(now / windowMs);
    const count = await this.store.increment(`rate!send!${accountId}!${window}`, windowMs);
    if (count > requests) {
      const retryAfterSeconds = Math.max(1, Math.ceil(((window + 1) * windowMs - now) / 1000));
      throw new RateLimitedError(
        `more than ${requests} sends in ${windowMs / 1000} s (OUTPOST_API_RATE_LIMIT / OUTPOST_API_RATE_WINDOW); nothing was sent: retry after ${retryAfterSeconds} s`,
        retryAfterSeconds,
      );
    }
  }
}
