/**
 * Message status in cluster mode (OUTPOST_REDIS_URL), so GET /v1/mail/messages/:id
 * and the listing answer alike on every node. Each node keeps the status of the
 * messages it accepted in its own spool (LevelStatusStore, written in the same
 * synced batch as the queue, so no crash separates status from queue) and, once
 * a batch is durable, copies each touched message's whole current view to Redis:
 *
 *   <namespace>:status:<messageId>        the view as JSON, kept STATUS_RETENTION_MS after its last change
 *   <namespace>:status-index:<accountId>  sorted set, every score 0, members `<createdAt base36>!<messageId>`:
 *                                         lexicographic order is time order, as in the embedded listing's keys
 *
 * Copying whole views rather than each batched write keeps Redis a copy of the
 * local store that any later copy makes whole again. A copy that fails (Redis
 * away) is tried again every 5 s for a minute (ClusterStatusOptions), then logged
 * and dropped; one lost to a crash between the fsync and the copy is missing until
 * the message changes again (its own node still answers from its spool). The
 * node's own messages are read locally first; others come from Redis.
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { SpoolBatch } from '../spool/batch.js';
import { encodeCursor, MAX_SCANNED_PER_PAGE, positionBounds, timeKeyPart, viewMatches } from './message-listing.js';
import type { LevelStatusStore, MessageEvent, MessagePage, MessageQuery, MessageStatusView, MessageSummary, RecipientStatus, StatusStore } from './status-store.js';

/** How long a message's status stays in Redis after its last change. */
export const STATUS_RETENTION_MS = 30 * 24 * 60 * 60_000;

export interface ClusterStatusOptions {
  now?: () => number;
  /** Index entries one list() call looks at, at most (as LevelStatusStore's). */
  maxScannedPerPage?: number;
  /** Wait before trying a failed copy again (default 5 s). */
  copyRetryMs?: number;
  /** Copies tried per change before giving up (default 12: a minute of Redis away). */
  copyTries?: number;
}
/** Copies under way at once. */
const COPIES_AT_ONCE = 64;
/** Index members read from Redis per round trip while listing. */
const LIST_BATCH = 200;

export class ClusterStatusStore implements StatusStore {
  /** Messages whose view is to be copied, with the copies tried so far. */
  private readonly pending = new Map<string, number>();
  private copying: Promise<void> | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  private readonly now: () => number;
  private readonly maxScannedPerPage: number;
  private readonly copyRetryMs: number;
  private readonly copyTries: number;

  constructor(
    private readonly local: LevelStatusStore,
    private readonly redis: Redis,
    /** Key prefix of the deployment (`<namespace>:`). */
    private readonly prefix: string,
    private readonly logger: Logger,
    options: ClusterStatusOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.maxScannedPerPage = options.maxScannedPerPage ?? MAX_SCANNED_PER_PAGE;
    this.copyRetryMs = options.copyRetryMs ?? 5_000;
    this.copyTries = options.copyTries ?? 12;
  }

  putMessage(batch: SpoolBatch, summary: MessageSummary, recipients: RecipientStatus[]): void {
    this.local.putMessage(batch, summary, recipients);
    this.copyAfter(batch, summary.id);
  }

  putRecipient(batch: SpoolBatch, messageId: string, index: number, status: RecipientStatus): void {
    this.local.putRecipient(batch, messageId, index, status);
    this.copyAfter(batch, messageId);
  }

  putEvent(batch: SpoolBatch, messageId: string, event: MessageEvent): void {
    this.local.putEvent(batch, messageId, event);
    this.copyAfter(batch, messageId);
  }

  async get(messageId: string): Promise<MessageStatusView | undefined> {
    const own = await this.local.get(messageId);
    if (own) return own;
    const stored = await this.redis.get(this.viewKey(messageId));
    return stored === null ? undefined : (JSON.parse(stored) as MessageStatusView);
  }

  async list(accountId: string, query: MessageQuery): Promise<MessagePage> {
    const index = this.indexKey(accountId);
    const bounds = positionBounds(query);
    const lowest = bounds.since === undefined ? '-' : `[${bounds.since}`;
    let below = bounds.before === undefined ? '+' : `(${bounds.before}`;
    const items: MessageStatusView[] = [];
    let scanned = 0;
    let lastPosition = '';
    while (items.length < query.limit && scanned < this.maxScannedPerPage) {
      const positions = await this.redis.zrange(index, below, lowest, 'BYLEX', 'REV', 'LIMIT', 0, Math.min(LIST_BATCH, this.maxScannedPerPage - scanned));
      if (positions.length === 0) return { items, nextCursor: null };
      const views = await this.redis.mget(positions.map((position) => this.viewKey(position.slice(position.indexOf('!') + 1))));
      for (const [offset, position] of positions.entries()) {
        if (items.length === query.limit) break;
        scanned++;
        lastPosition = position;
        // a view past its retention may outlive its index entry by a moment: skipped
        const stored = views[offset];
        const view = stored ? (JSON.parse(stored) as MessageStatusView) : undefined;
        if (view && view.accountId === accountId && viewMatches(view, query)) items.push(view);
      }
      below = `(${lastPosition}`;
    }
    // stopped at limit or at the scan bound: a cursor only if anything is left
    const more = (await this.redis.zrange(index, `(${lastPosition}`, lowest, 'BYLEX', 'REV', 'LIMIT', 0, 1)).length > 0;
    return { items, nextCursor: more ? encodeCursor(lastPosition) : null };
  }

  /** Resolves once the copies under way have ended (a failed one waits for its retry timer). */
  async flush(): Promise<void> {
    while (this.copying) await this.copying;
  }

  /** Waits for the copies under way and stops retrying failed ones (shutdown). */
  async close(): Promise<void> {
    await this.flush();
    for (const timer of this.retryTimers) clearTimeout(timer);
    this.retryTimers.clear();
  }

  private copyAfter(batch: SpoolBatch, messageId: string): void {
    batch.afterCommit(() => this.schedule(messageId, 0));
  }

  private schedule(messageId: string, tries: number): void {
    if (!this.pending.has(messageId)) this.pending.set(messageId, tries);
    this.startCopying();
  }

  private startCopying(): void {
    if (this.copying) return;
    this.copying = this.copyPending().finally(() => {
      this.copying = undefined;
      // scheduled between the last batch and this callback
      if (this.pending.size > 0) this.startCopying();
    });
  }

  private async copyPending(): Promise<void> {
    // one copy per message for all the batches committed in this turn of the event loop
    await new Promise((resolve) => setImmediate(resolve));
    while (this.pending.size > 0) {
      // a slice at a time: a burst of commits (a queue recovered, a big send) must not open thousands of reads at once
      const batch: [string, number][] = [];
      for (const entry of this.pending) {
        batch.push(entry);
        if (batch.length === COPIES_AT_ONCE) break;
      }
      for (const [messageId] of batch) this.pending.delete(messageId);
      await Promise.all(batch.map(([messageId, tries]) => this.copy(messageId, tries)));
    }
  }

  private async copy(messageId: string, tries: number): Promise<void> {
    try {
      const view = await this.local.get(messageId);
      if (!view) return;
      const copy = this.redis.multi().set(this.viewKey(messageId), JSON.stringify(view), 'PX', STATUS_RETENTION_MS);
      if (view.accountId !== undefined) {
        const index = this.indexKey(view.accountId);
        copy.zadd(index, 0, `${timeKeyPart(view.createdAt)}!${view.id}`);
        // index entries of messages past their retention go as new ones come
        copy.zremrangebylex(index, '-', `(${timeKeyPart(this.now() - STATUS_RETENTION_MS)}`);
      }
      const results = await copy.exec();
      const failed = results?.find(([error]) => error)?.[0];
      if (!results || failed) throw failed ?? new Error('Redis discarded the transaction');
    } catch (error) {
      if (tries + 1 >= this.copyTries) {
        this.logger.error({ err: error, messageId }, 'message status not copied to Redis after repeated tries; other nodes show it again from its next change');
        return;
      }
      this.logger.warn({ err: error, messageId, tries: tries + 1 }, `message status not copied to Redis; trying again in ${this.copyRetryMs} ms`);
      const timer = setTimeout(() => {
        this.retryTimers.delete(timer);
        this.schedule(messageId, tries + 1);
      }, this.copyRetryMs);
      timer.unref();
      this.retryTimers.add(timer);
    }
  }

  private viewKey(messageId: string): string {
    return `${this.prefix}status:${messageId}`;
  }

  private indexKey(accountId: string): string {
    return `${this.prefix}status-index:${accountId}`;
  }
}
