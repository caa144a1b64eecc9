/**
 * The loop that tries pending webhook deliveries again: every second it reads
 * the due index of the shared store (delivery-log.ts), claims each due
 * delivery for one attempt and hands it to the sender. It runs in one process
 * per node (the single process, or the primary of OUTPOST_WORKERS); in a
 * cluster every node runs one, and the claims keep two from making the same
 * attempt. It never sends a delivery it did not claim, and it bounds how many
 * attempts it has under way, so a receiver that hangs cannot pile them up.
 */
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import type { Logger } from 'pino';
import type { DueDelivery, WebhookDelivery, WebhookDeliveryLog } from './delivery-log.js';

/** How often the due index is read: the precision of retry times. */
const POLL_MS = 1_000;
/** The next read, when the last one found as many due as it could take: a backlog drains without waiting a second per batch. */
const BACKLOG_POLL_MS = 50;
/** Attempts under way at once from this loop. */
const MAX_RUNNING = 32;

export interface RetryLoopDeps {
  deliveries: WebhookDeliveryLog;
  /** Makes one attempt of a claimed delivery and records what became of it. */
  attempt(delivery: WebhookDelivery): Promise<void>;
  /** How long a claim lasts: longer than an attempt and its records take. */
  leaseMs: number;
  logger: Logger;
  now: () => number;
}

export class WebhookRetryLoop {
  /** Names this process in its claims (for whoever reads the store). */
  private readonly owner = `${os.hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  private readonly running = new Map<string, Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private polling: Promise<void> | undefined;
  private stopped = false;
  /** The due index could not be read last time (logged once per failing period). */
  private failing = false;

  constructor(private readonly deps: RetryLoopDeps) {}

  start(): void {
    this.schedule(0);
  }

  /** No more claims; resolves once the attempts under way are recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.polling;
    await Promise.all(this.running.values());
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll();
    }, delayMs);
    this.timer.unref();
  }

  private async poll(): Promise<void> {
    const { deliveries, logger, now } = this.deps;
    const room = MAX_RUNNING - this.running.size;
    let found = 0;
    try {
      if (room > 0) {
        const due = await deliveries.dueBy(now(), room);
        found = due.length;
        for (const entry of due) {
          if (this.stopped) break;
          await this.take(entry);
        }
      }
      if (this.failing) logger.info('pending webhook deliveries can be read again');
      this.failing = false;
    } catch (error) {
      if (!this.failing) logger.error({ err: error }, 'cannot read or claim pending webhook deliveries; trying again every second');
      this.failing = true;
    }
    this.schedule(room > 0 && found === room ? BACKLOG_POLL_MS : POLL_MS);
  }

  /** Claims a due delivery's next attempt and starts it; another node's claim, or one already made, is left alone. */
  private async take(entry: DueDelivery): Promise<void> {
    const { deliveries, leaseMs, logger, now } = this.deps;
    const key = `${entry.accountId}/${entry.id}`;
    if (this.running.has(key)) return;
    const delivery = await deliveries.get(entry.accountId, entry.id);
    if (delivery?.status !== 'pending') {
      // its webhook was deleted, or it ended and only its due entry was left behind
      await deliveries.undue(entry);
      return;
    }
    if (!(await deliveries.claim(delivery, this.owner, leaseMs))) return;
    // the claim is for the attempt read above: another node may have made it and recorded the next since
    const current = await deliveries.get(entry.accountId, entry.id);
    if (current?.status !== 'pending' || current.attempts !== delivery.attempts) return;
    await deliveries.hold(entry, now() + leaseMs);
    const attempt = this.deps
      .attempt(current)
      .catch((error: unknown) => logger.error({ err: error, webhook: current.webhookId, event: current.id }, 'webhook retry could not be recorded; it is tried again when its claim ends'))
      .finally(() => this.running.delete(key));
    this.running.set(key, attempt);
  }
}
