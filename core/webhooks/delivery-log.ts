/**
 * Webhook deliveries as the shared store keeps them: one record per event and
 * webhook (its body while it is pending, then what became of it), each
 * webhook's log of them newest first, and the due index every node reads to
 * find the deliveries to try next. Kept in the shared store, so a restart
 * resumes them and, in cluster mode, another node takes over a dead one's.
 *
 *   webhook-deliveries:<account>   collection: id → WebhookDelivery
 *   webhook-log:<account>/<hook>   sorted set: id by creation time (the log, trimmed to OUTPOST_WEBHOOK_LOG_SIZE)
 *   webhook-due                    sorted set: <account>/<id> by the time it may next be tried
 *
 * A delivery is tried by whoever holds it: its creator, for the first
 * attempt, and afterwards the node that claims it (a temporary key per
 * attempt, taken with putIfAbsent, so two nodes never both make one attempt
 * unless a claim outlives its lease). While held, its due time is pushed past
 * the lease, so other nodes neither see it due nor contend for it; should the
 * holder die, it falls due again when the lease ends.
 */
import type { SharedSortedSet, SharedStore } from '../store/shared-store.js';
import { accountCollectionName } from '../store/shared-store.js';
import type { WebhookEventType } from './webhook-events.js';

export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface WebhookDelivery {
  /** The event's id: the body's `id` and the X-Outpost-Event-Id header, the same on every attempt. */
  id: string;
  accountId: string;
  webhookId: string;
  eventType: WebhookEventType;
  status: WebhookDeliveryStatus;
  attempts: number;
  /** Why the last attempt failed (a network error, or the HTTP status in words). */
  lastError?: string;
  /** The HTTP status the last attempt was answered with. */
  lastHttpStatus?: number;
  /** Pending: when it is tried next. */
  nextAttemptAt?: number;
  createdAt: number;
  updatedAt: number;
  /** The signed body, kept while pending so that every attempt sends the same bytes. */
  body?: string;
}

/** A due delivery as the due index names it. */
export interface DueDelivery {
  accountId: string;
  id: string;
}

/** Log entries looked at past the log size per new delivery: trimming keeps up without scanning much. */
const TRIM_BATCH = 20;

/** Entries removed per round when a webhook's whole log goes. */
const FORGET_BATCH = 200;

function dueMember(accountId: string, id: string): string {
  return `${accountId}/${id}`;
}

export class WebhookDeliveryLog {
  private readonly due: SharedSortedSet;

  constructor(
    private readonly store: SharedStore,
    /** Deliveries kept in each webhook's log (pending ones stay until they end). */
    private readonly logSize: number,
  ) {
    this.due = store.sortedSet('webhook-due');
  }

  private records(accountId: string) {
    return this.store.collection<WebhookDelivery>(accountCollectionName('webhook-deliveries', accountId));
  }

  private log(accountId: string, webhookId: string): SharedSortedSet {
    return this.store.sortedSet(accountCollectionName('webhook-log', `${accountId}/${webhookId}`));
  }

  /** Stores a new delivery, held by its creator until `heldUntil` (its first attempt). */
  async create(delivery: WebhookDelivery, heldUntil: number): Promise<void> {
    const { accountId, id, webhookId, createdAt } = delivery;
    await Promise.all([this.records(accountId).put(id, delivery), this.due.put(dueMember(accountId, id), heldUntil), this.log(accountId, webhookId).put(id, createdAt)]);
  }

  get(accountId: string, id: string): Promise<WebhookDelivery | undefined> {
    return this.records(accountId).get(id);
  }

  /**
   * Writes what an attempt changed: due again at its nextAttemptAt while pending,
   * out of the due index once it ended (its body is dropped then). A delivery
   * that is gone meanwhile (its webhook was deleted) is not written back.
   */
  async update(delivery: WebhookDelivery): Promise<void> {
    const { accountId, id } = delivery;
    if (!(await this.records(accountId).get(id))) return this.due.delete(dueMember(accountId, id));
    if (delivery.status === 'pending') {
      await Promise.all([this.records(accountId).put(id, delivery), this.due.put(dueMember(accountId, id), delivery.nextAttemptAt ?? delivery.updatedAt)]);
    } else {
      const ended: WebhookDelivery = { ...delivery };
      delete ended.body;
      delete ended.nextAttemptAt;
      await Promise.all([this.records(accountId).put(id, ended), this.due.delete(dueMember(accountId, id))]);
    }
  }

  /** Deliveries due by `now`, the longest waiting first. */
  async dueBy(now: number, limit: number): Promise<DueDelivery[]> {
    const members = await this.due.range({ max: now, limit });
    return members.map(({ member }) => {
      const slash = member.lastIndexOf('/');
      return { accountId: member.slice(0, slash), id: member.slice(slash + 1) };
    });
  }

  /**
   * Claims the next attempt of `delivery` for `leaseMs`, for `owner`; false
   * when another process has claimed it. The claim names the attempt, so one
   * made and recorded is never claimed again, and nothing needs releasing.
   */
  claim(delivery: WebhookDelivery, owner: string, leaseMs: number): Promise<boolean> {
    return this.store.putIfAbsent(`webhook-claim:${dueMember(delivery.accountId, delivery.id)}:${delivery.attempts}`, owner, leaseMs);
  }

  /** Keeps a claimed delivery out of everyone's due range until `until`. */
  hold(delivery: DueDelivery, until: number): Promise<void> {
    return this.due.put(dueMember(delivery.accountId, delivery.id), until);
  }

  /** Removes a delivery from the due index (its record is gone, or it is no longer pending). */
  undue(delivery: DueDelivery): Promise<void> {
    return this.due.delete(dueMember(delivery.accountId, delivery.id));
  }

  /** The webhook's deliveries, newest first. */
  async list(accountId: string, webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    const ids = await this.log(accountId, webhookId).range({ descending: true, limit });
    const records = await Promise.all(ids.map(({ member }) => this.records(accountId).get(member)));
    return records.filter((record) => record !== undefined);
  }

  /** Removes a deleted webhook's log and deliveries: those pending are never tried again. */
  async forgetWebhook(accountId: string, webhookId: string): Promise<void> {
    const log = this.log(accountId, webhookId);
    for (;;) {
      const batch = await log.range({ limit: FORGET_BATCH });
      if (batch.length === 0) return;
      await Promise.all(batch.map(({ member: id }) => this.forget(accountId, id, log)));
    }
  }

  /** Drops the webhook's log entries past the log size that have ended; pending ones wait for their end. */
  async trim(accountId: string, webhookId: string): Promise<void> {
    const log = this.log(accountId, webhookId);
    const beyond = await log.range({ descending: true, offset: this.logSize, limit: TRIM_BATCH });
    await Promise.all(
      beyond.map(async ({ member: id }) => {
        const record = await this.records(accountId).get(id);
        if (record?.status !== 'pending') await this.forget(accountId, id, log);
      }),
    );
  }

  private async forget(accountId: string, id: string, log: SharedSortedSet): Promise<void> {
    await Promise.all([this.records(accountId).delete(id), this.due.delete(dueMember(accountId, id))]);
    await log.delete(id);
  }
}
