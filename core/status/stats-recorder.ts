/**
 * Counts what happens to each account's mail for GET /v1/stats and the
 * console's charts: every recipient event adds 1 to its figure in the hour and
 * the day it happened, for the account, each tag of the message and its
 * sending domain (the domain of the envelope sender). It listens where the
 * events are emitted (one process, or the primary of workers), so each event
 * is counted once.
 *
 * Additions are gathered in memory and written to the shared store once a
 * second, as one batch: an event costs a map update instead of a store write
 * per bucket and dimension, and in cluster mode every node reads the same
 * counts within that second. close() writes what is left.
 */
import type { Logger } from 'pino';
import type { EventBus } from '../events.js';
import type { CountAddition, SharedStore } from '../store/shared-store.js';
import { BOUNCE_REASON_PREFIX, bucketLifetime, bucketOf, statsKey, type StatsDimension, type StatsInterval } from './stats-figures.js';
import type { StatusStore } from './status-store.js';

/** How often gathered additions are written. */
const FLUSH_INTERVAL_MS = 1000;
/** Messages whose tags and sending domain are remembered, so their later events need no status read. */
const REMEMBERED_MESSAGES = 10_000;

/** What a message's counts are kept under besides the account's total. */
interface MessageDimensions {
  tags: readonly string[];
  domain: string | undefined;
}

export interface StatsRecorderDeps {
  store: SharedStore;
  /** Where a message's tags and sender are read when it is no longer remembered. */
  status: Pick<StatusStore, 'get'>;
  retentionMs: number;
  logger: Logger;
  flushIntervalMs?: number;
}

export class StatsRecorder {
  private pending = new Map<string, Record<string, number>>();
  private readonly remembered = new Map<string, MessageDimensions>();
  /** Events waiting for their message's dimensions (a status read); close() waits for them. */
  private readonly lookups = new Set<Promise<void>>();
  /** Status reads in flight, by message. */
  private readonly reading = new Map<string, Promise<MessageDimensions>>();
  private writing: Promise<void> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly deps: StatsRecorderDeps) {
    this.timer = setInterval(() => void this.flush(), deps.flushIntervalMs ?? FLUSH_INTERVAL_MS);
    this.timer.unref();
  }

  watch(events: EventBus): void {
    events.on('message:accepted', ({ messageId, accountId, from, recipients, notQueued, tags, at }) => {
      const dimensions: MessageDimensions = { tags, domain: senderDomain(from) };
      this.remember(messageId, dimensions);
      const test = notQueued.filter((recipient) => recipient.state === 'test').length;
      const suppressed = notQueued.filter((recipient) => recipient.state === 'suppressed').length;
      this.add(accountId, dimensions, at, { accepted: recipients.length + test, suppressed });
    }, 'stats');
    events.on('recipient:delivered', (event) => this.count(event, { delivered: 1 }), 'stats');
    events.on('recipient:deferred', (event) => this.count(event, { deferred: 1 }), 'stats');
    events.on('recipient:bounced', (event) => {
      this.count(event, { [event.bounceType === 'hard' ? 'bounced_hard' : 'bounced_soft']: 1, [`${BOUNCE_REASON_PREFIX}${event.reason}`]: 1 });
    }, 'stats');
    events.on('recipient:complained', (event) => this.count(event, { complained: 1 }), 'stats');
    events.on('recipient:opened', (event) => this.count(event, { [event.machine ? 'opened_machine' : 'opened_human']: 1 }), 'stats');
    events.on('recipient:clicked', (event) => this.count(event, { [event.machine ? 'clicked_machine' : 'clicked_human']: 1 }), 'stats');
    events.on('recipient:unsubscribed', (event) => this.count(event, { unsubscribed: 1 }), 'stats');
  }

  /** Writes the additions gathered so far; they are kept for the next try when the store fails. */
  flush(): Promise<void> {
    this.writing = this.writing.then(() => this.writePending());
    return this.writing;
  }

  /** Stops the timer and writes everything counted, including events still looking up their message. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.lookups);
    await this.flush();
  }

  /** Adds `figures` (StoredFigure names, or a bounce reason) for the event's message. */
  private count(event: { messageId: string; accountId?: string; at: number }, figures: Record<string, number>): void {
    if (event.accountId === undefined) return;
    const known = this.remembered.get(event.messageId);
    if (known) {
      this.add(event.accountId, known, event.at, figures);
      return;
    }
    const lookup = this.dimensionsOf(event.messageId).then((dimensions) => this.add(event.accountId, dimensions, event.at, figures));
    this.lookups.add(lookup);
    void lookup.finally(() => this.lookups.delete(lookup));
  }

  /** The message's tags and sender from its status (an event long after it was accepted, or after a restart); one read for events arriving together. */
  private dimensionsOf(messageId: string): Promise<MessageDimensions> {
    let reading = this.reading.get(messageId);
    if (!reading) {
      reading = this.readDimensions(messageId);
      this.reading.set(messageId, reading);
      void reading.finally(() => this.reading.delete(messageId));
    }
    return reading;
  }

  private async readDimensions(messageId: string): Promise<MessageDimensions> {
    try {
      const view = await this.deps.status.get(messageId);
      const dimensions = { tags: view?.tags ?? [], domain: view ? senderDomain(view.from) : undefined };
      this.remember(messageId, dimensions);
      return dimensions;
    } catch (error) {
      // the account's total still counts; only the tag and domain counts miss this event
      this.deps.logger.warn({ err: error, messageId }, 'stats: could not read a message\'s tags and sender');
      return { tags: [], domain: undefined };
    }
  }

  private remember(messageId: string, dimensions: MessageDimensions): void {
    this.remembered.delete(messageId);
    this.remembered.set(messageId, dimensions);
    // Maps iterate in insertion order: the first key is the one remembered longest ago
    if (this.remembered.size > REMEMBERED_MESSAGES) this.remembered.delete(this.remembered.keys().next().value!);
  }

  private add(accountId: string | undefined, dimensions: MessageDimensions, at: number, figures: Record<string, number>): void {
    if (accountId === undefined) return;
    const counted: StatsDimension[] = [
      { kind: 'all' },
      ...[...new Set(dimensions.tags)].map((tag): StatsDimension => ({ kind: 'tag', tag })),
      ...(dimensions.domain === undefined ? [] : [{ kind: 'domain', domain: dimensions.domain } as const]),
    ];
    for (const interval of ['hour', 'day'] as const satisfies readonly StatsInterval[]) {
      for (const dimension of counted) this.addTo(statsKey(accountId, dimension, interval, bucketOf(at, interval)), figures);
    }
  }

  private addTo(key: string, figures: Record<string, number>): void {
    const counts = this.pending.get(key) ?? {};
    for (const [figure, amount] of Object.entries(figures)) if (amount !== 0) counts[figure] = (counts[figure] ?? 0) + amount;
    this.pending.set(key, counts);
  }

  private async writePending(): Promise<void> {
    if (this.pending.size === 0) return;
    const batch = this.pending;
    this.pending = new Map();
    const additions: CountAddition[] = [...batch].map(([key, counts]) => ({ key, counts }));
    try {
      await this.deps.store.addCounts(additions, bucketLifetime(this.deps.retentionMs));
    } catch (error) {
      this.deps.logger.warn({ err: error, keys: additions.length }, 'stats: could not write counts; retrying with the next batch');
      for (const { key, counts } of additions) this.addTo(key, counts);
    }
  }
}

/** The lower-cased domain of an envelope sender; undefined for the null sender. */
function senderDomain(address: string): string | undefined {
  const at = address.lastIndexOf('@');
  return at > 0 && at < address.length - 1 ? address.slice(at + 1).toLowerCase() : undefined;
}
