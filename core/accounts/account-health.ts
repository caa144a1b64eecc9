/**
 * Each account's bounce and complaint rates over a rolling window
 * (OUTPOST_HEALTH_WINDOW), counted hour by hour in the shared store from the
 * recipient events, so every node and worker sees the same figures. When a
 * rate crosses its threshold, with enough mail sent to judge, the account's
 * sending is paused (as hosted services do: a list full of dead addresses or
 * unwilling readers harms the reputation every other account sends with),
 * until an admin resumes it.
 *
 *   bounce rate    = hard bounces / recipients that got a final outcome (delivered or bounced)
 *   complaint rate = complaints / recipients delivered
 *
 * The embedded store keeps counters in memory: a restart starts the window
 * afresh. Redis keeps them across restarts.
 */
import type { Logger } from 'pino';
import type { OutpostConfig } from '../../config/index.js';
import type { EventBus } from '../events.js';
import type { SharedStore } from '../store/shared-store.js';
import type { AccountService } from './accounts.js';

const HOUR_MS = 3_600_000;
type Counted = 'delivered' | 'bounced' | 'hard' | 'complained';

/** An account's figures over the window, as GET /v1/account/health shows them. */
export interface AccountHealthReport {
  windowMs: number;
  delivered: number;
  /** Every bounce, hard or soft, sync or reported later. */
  bounced: number;
  hardBounces: number;
  complaints: number;
  /** hardBounces / (delivered + bounced); 0 with nothing sent. */
  bounceRate: number;
  /** complaints / delivered; 0 with nothing delivered. */
  complaintRate: number;
  thresholds: { bounceRate: number; complaintRate: number; minSent: number };
}

export class AccountHealth {
  /** Accounts seen in the window, for /metrics. */
  private readonly active = new Map<string, number>();

  constructor(
    private readonly store: SharedStore,
    private readonly accounts: AccountService,
    private readonly settings: OutpostConfig['health'],
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts the recipient events of accounts; runs where the events are emitted (one process, or the primary). */
  watch(events: EventBus): void {
    events.on('recipient:delivered', ({ accountId }) => void this.count(accountId, ['delivered']), 'account-health');
    events.on('recipient:bounced', ({ accountId, bounceType, async }) => {
      // a bounce reported after delivery was counted as delivered once: it moves from one count to the other
      const counted: Counted[] = bounceType === 'hard' ? ['bounced', 'hard'] : ['bounced'];
      void this.count(accountId, counted, async ? 'delivered' : undefined);
    }, 'account-health');
    events.on('recipient:complained', ({ accountId }) => void this.count(accountId, ['complained']), 'account-health');
  }

  async report(accountId: string): Promise<AccountHealthReport> {
    const [delivered, bounced, hardBounces, complaints] = await Promise.all((['delivered', 'bounced', 'hard', 'complained'] as const).map((kind) => this.sum(accountId, kind)));
    const sent = delivered + bounced;
    return {
      windowMs: this.settings.windowMs,
      delivered,
      bounced,
      hardBounces,
      complaints,
      bounceRate: sent === 0 ? 0 : hardBounces / sent,
      complaintRate: delivered === 0 ? 0 : complaints / delivered,
      thresholds: { bounceRate: this.settings.pauseBounceRate, complaintRate: this.settings.pauseComplaintRate, minSent: this.settings.minSent },
    };
  }

  /** The accounts with mail in the window and their rates (for /metrics). */
  async rates(): Promise<{ accountId: string; bounceRate: number; complaintRate: number }[]> {
    const since = this.now() - this.settings.windowMs;
    for (const [accountId, at] of this.active) if (at < since) this.active.delete(accountId);
    return Promise.all([...this.active.keys()].map(async (accountId) => ({ accountId, ...(await this.report(accountId)) })));
  }

  private async count(accountId: string | undefined, kinds: Counted[], takenFrom?: Counted): Promise<void> {
    if (accountId === undefined) return;
    try {
      this.active.set(accountId, this.now());
      const hour = Math.floor(this.now() / HOUR_MS);
      // a bucket lives as long as the window it may still fall in
      const lifetime = this.settings.windowMs + HOUR_MS;
      await Promise.all(kinds.map((kind) => this.store.increment(this.key(accountId, kind, hour), lifetime)));
      if (takenFrom) await this.store.increment(this.key(accountId, `un${takenFrom}`, hour), lifetime);
      if (kinds.includes('hard') || kinds.includes('complained')) await this.pauseIfOver(accountId);
    } catch (error) {
      this.logger.warn({ err: error, accountId }, 'account health: could not count an outcome');
    }
  }

  private async pauseIfOver(accountId: string): Promise<void> {
    const health = await this.report(accountId);
    if (health.delivered + health.bounced < this.settings.minSent) return;
    const over: string[] = [];
    const percent = (rate: number) => `${(rate * 100).toFixed(2).replace(/\.?0+$/, '')}%`;
    const window = `${Math.round(this.settings.windowMs / HOUR_MS)}h`;
    if (this.settings.pauseBounceRate > 0 && health.bounceRate >= this.settings.pauseBounceRate) {
      over.push(`hard bounce rate ${percent(health.bounceRate)} over the last ${window} reached OUTPOST_PAUSE_BOUNCE_RATE (${percent(this.settings.pauseBounceRate)})`);
    }
    if (this.settings.pauseComplaintRate > 0 && health.complaintRate >= this.settings.pauseComplaintRate) {
      over.push(`complaint rate ${percent(health.complaintRate)} over the last ${window} reached OUTPOST_PAUSE_COMPLAINT_RATE (${percent(this.settings.pauseComplaintRate)})`);
    }
    if (over.length === 0) return;
    if (await this.accounts.pause(accountId, over.join('; '))) this.logger.warn({ accountId, health }, `account sending paused: ${over.join('; ')}`);
  }

  /** A kind's total over the window: the sum of its hourly buckets (`delivered` less what was reported bounced later). */
  private async sum(accountId: string, kind: Counted): Promise<number> {
    const hour = Math.floor(this.now() / HOUR_MS);
    const hours = Math.ceil(this.settings.windowMs / HOUR_MS);
    const buckets = Array.from({ length: hours }, (_, index) => hour - index);
    const counts = await Promise.all(buckets.map((bucket) => this.store.count(this.key(accountId, kind, bucket))));
    const total = counts.reduce((sum, count) => sum + count, 0);
    if (kind !== 'delivered') return total;
    const taken = await Promise.all(buckets.map((bucket) => this.store.count(this.key(accountId, 'undelivered', bucket))));
    return Math.max(0, total - taken.reduce((sum, count) => sum + count, 0));
  }

  private key(accountId: string, kind: string, hour: number): string {
    return `health!${accountId}!${kind}!${hour}`;
  }
}
