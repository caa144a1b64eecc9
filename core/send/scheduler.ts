/**
 * The queue manager: decides what to deliver next. Due recipients come from
 * the DueIndex; each dispatch sends one message's recipients on one domain in
 * one transaction, within the global and per-destination connection limits
 * (also right after a restart, so a large deferred queue cannot flood a
 * destination). Outcomes are recorded through putRecipientOutcome, and a
 * message's records are removed once no recipient needs them.
 */
import type { Logger } from 'pino';
import type { DeliveryGroup, RecipientOutcome } from './delivery-group.js';
import type { EventBus } from '../events.js';
import type { Delivery } from './deliver.js';
import { quarantineMessage } from '../spool/recover.js';
import type { MessageRecord, RecipientRecord } from '../spool/records.js';
import type { Spool } from '../spool/spool.js';
import { SpoolBatch } from '../spool/batch.js';
import type { StatusStore } from '../status/status-store.js';
import { putRecipientOutcome } from './outcome.js';
import { DueIndex } from './due-index.js';
import type { RetryPolicy } from './retry-policy.js';

export interface SchedulerLimits {
  maxConnections: number;
  maxConnectionsPerDomain: number;
  maxRecipientsPerTransaction: number;
}

export interface SchedulerDeps {
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  delivery: Delivery;
  policy: RetryPolicy;
  limits: SchedulerLimits;
  now: () => number;
  logger: Logger;
}

/** Longest single timer; a far-off retry is re-checked at least this often. */
const MAX_TIMER_MS = 60_000;
/** After a failed spool write of an outcome, wait this long before writing it again. */
const STORAGE_RETRY_MS = 5_000;

export class Scheduler {
  private readonly due = new DueIndex();
  /** Recipients of each message still in the spool (in the index or in flight). */
  private readonly remaining = new Map<string, number>();
  /**
   * Attempts in flight per domain, at most maxConnectionsPerDomain. The connections themselves are
   * counted by the ConnectionPool until their sockets close (QUIT in progress too): an attempt
   * started while an earlier session is still closing waits there for its slot.
   */
  private readonly activeByDomain = new Map<string, number>();
  private readonly inFlight = new Set<Promise<void>>();
  private activeCount = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private running = false;
  /** Set when shutdown cut sessions: outcomes of cut attempts are not recorded. */
  private abandoned = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Recipients waiting (not counting those being delivered right now). */
  get queuedCount(): number {
    return this.due.size;
  }

  /** Waiting recipients per state (not counting those being delivered right now). */
  countByState(): Record<RecipientRecord['state'], number> {
    return this.due.countByState();
  }

  /** Delivery attempts (SMTP transactions, one group of recipients each) in progress. */
  get activeDeliveries(): number {
    return this.activeCount;
  }

  /** Adds recipients that are durably in the spool (new or recovered). */
  add(recipients: RecipientRecord[]): void {
    for (const recipient of recipients) {
      this.due.add(recipient);
      this.remaining.set(recipient.messageId, (this.remaining.get(recipient.messageId) ?? 0) + 1);
    }
    if (this.running) this.pump();
  }

  start(): void {
    this.running = true;
    this.pump();
  }

  /**
   * Stops dispatching; in-flight transactions get `graceMs` to finish and be
   * recorded. Those still running are cut and left in the spool as they were,
   * to be tried again at the next start.
   */
  async stop(graceMs: number): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    const settled = Promise.allSettled([...this.inFlight]);
    let graceTimer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'timeout'>((resolve) => (graceTimer = setTimeout(() => resolve('timeout'), graceMs)));
    if ((await Promise.race([settled, graceOver])) === 'timeout') {
      this.abandoned = true;
      this.deps.delivery.closeAll();
      await settled;
    }
    clearTimeout(graceTimer);
    this.deps.delivery.closeAll();
  }

  /** Starts every transaction the limits allow, then sleeps until the next due time. */
  private pump(): void {
    if (!this.running) return;
    const now = this.deps.now();
    const { maxConnections, maxConnectionsPerDomain, maxRecipientsPerTransaction } = this.deps.limits;
    let started = true;
    while (started && this.activeCount < maxConnections) {
      started = false;
      for (const [domain, earliest] of [...this.due.domainsByEarliest()]) {
        if (this.activeCount >= maxConnections) break;
        if (earliest > now || (this.activeByDomain.get(domain) ?? 0) >= maxConnectionsPerDomain) continue;
        const recipients = this.due.takeDueGroup(domain, now, maxRecipientsPerTransaction);
        if (recipients.length === 0) continue;
        this.launch(domain, recipients);
        started = true;
      }
    }
    this.armTimer(now);
  }

  private armTimer(now: number): void {
    // domains already due wait for a free slot (a finishing attempt pumps again), so only future times set the timer
    const earliest = this.due.earliestAfter(now);
    if (earliest === undefined) return;
    const at = Math.min(earliest, now + MAX_TIMER_MS);
    if (this.timer && at >= this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.pump();
    }, Math.max(at - now, 0));
  }

  private launch(domain: string, recipients: RecipientRecord[]): void {
    this.activeCount++;
    this.activeByDomain.set(domain, (this.activeByDomain.get(domain) ?? 0) + 1);
    const work = this.attempt(domain, recipients)
      .catch((error: unknown) => this.deps.logger.error({ err: error, domain }, 'delivery attempt failed unexpectedly'))
      .finally(() => {
        this.activeCount--;
        const active = (this.activeByDomain.get(domain) ?? 1) - 1;
        if (active === 0) this.activeByDomain.delete(domain);
        else this.activeByDomain.set(domain, active);
        this.inFlight.delete(work);
        this.pump();
      });
    this.inFlight.add(work);
  }

  private async attempt(domain: string, recipients: RecipientRecord[]): Promise<void> {
    const messageId = recipients[0]!.messageId;
    let message;
    try {
      message = await this.deps.spool.readMessage(messageId);
    } catch (error) {
      await this.quarantine(messageId, `message record unreadable: ${(error as Error).message}`);
      return;
    }
    if (!message) {
      this.deps.logger.error({ messageId }, 'queued recipients without a message record; dropped from the index');
      return;
    }
    const group: DeliveryGroup = { message, domain, recipients };
    const result = await this.deps.delivery.attempt(group);
    if (this.abandoned) return;
    if (result.kind === 'damaged-body') await this.quarantine(messageId, result.reason);
    else await this.record(group, result.outcomes);
  }

  private async record(group: DeliveryGroup, outcomes: Map<number, RecipientOutcome>): Promise<void> {
    const now = this.deps.now();
    const batch = new SpoolBatch();
    const stillQueued: RecipientRecord[] = [];
    let done = 0;
    for (const recipient of group.recipients) {
      const next = putRecipientOutcome(this.deps, batch, recipient, outcomes.get(recipient.index)!, now, group.message.accountId);
      if (next) stillQueued.push(next);
      else done++;
    }
    // Usually this attempt finishes the message (one recipient, or all at one domain): its records
    // go in the same write. Only when every other recipient's final outcome is already on disk,
    // so a crash never leaves recipients of a removed message behind.
    const removesMessage = done > 0 && (this.remaining.get(group.message.id) ?? done) === done;
    if (removesMessage) this.putMessageDone(batch, group.message);
    // The attempt already happened: retry writing its outcome, never the delivery itself, so a
    // failing disk cannot turn into a stream of copies at the destination. If the server stops
    // first, the recipients are still in the spool and count as in flight at the next start.
    for (;;) {
      try {
        await this.deps.spool.commit(batch);
        break;
      } catch (error) {
        this.deps.logger.error({ err: error, messageId: group.message.id }, 'could not record delivery outcome; retrying the write');
        if (!this.running) return;
        await new Promise((resolve) => setTimeout(resolve, STORAGE_RETRY_MS));
        if (!this.running) return;
      }
    }
    for (const recipient of stillQueued) this.due.add(recipient);
    if (done > 0) await this.finishRecipients(group.message, done, removesMessage);
  }

  /**
   * Counts recipients off a message once their outcomes are on disk. The last one removes its
   * records, unless that already happened with the outcome (two attempts of one message that
   * finished side by side both saw the other still pending, and end up here).
   */
  private async finishRecipients(message: MessageRecord, done: number, alreadyRemoved: boolean): Promise<void> {
    const left = (this.remaining.get(message.id) ?? done) - done;
    if (left > 0) {
      this.remaining.set(message.id, left);
      return;
    }
    this.remaining.delete(message.id);
    if (alreadyRemoved) return;
    const batch = new SpoolBatch();
    this.putMessageDone(batch, message);
    // if this write fails, recovery at next start finds the message without recipients and removes it
    await this.deps.spool.commit(batch).catch((error: unknown) => this.deps.logger.warn({ err: error, messageId: message.id }, 'could not remove finished message'));
  }

  private putMessageDone(batch: SpoolBatch, message: MessageRecord): void {
    this.deps.spool.deleteMessage(batch, message);
    batch.afterCommit(() => this.deps.events.emit('message:done', { messageId: message.id, at: this.deps.now() }));
  }

  private async quarantine(messageId: string, reason: string): Promise<void> {
    const batch = new SpoolBatch();
    await quarantineMessage(this.deps.spool, batch, messageId);
    this.deps.status.putEvent(batch, messageId, { type: 'quarantined', at: this.deps.now(), reason });
    batch.afterCommit(() => this.deps.events.emit('spool:quarantined', { messageId, reason, at: this.deps.now() }));
    await this.deps.spool.commit(batch);
    this.remaining.delete(messageId);
    this.deps.logger.error({ messageId, reason }, 'message quarantined');
  }
}
