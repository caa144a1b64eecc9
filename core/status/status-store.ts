/**
 * Per-message and per-recipient status and the message's event log: what the
 * API shows users long after the spool entries are gone. The interface lets
 * cluster mode keep it in Redis; the embedded store keeps it in the node's
 * LevelDB and puts its writes into the same synced batch as the spool change
 * they describe, so status and queue can never disagree after a crash.
 *
 *   s!m!<id>                 MessageSummary
 *   s!r!<id>!<index>         RecipientStatus, one per submitted recipient
 *   s!e!<id>!<time><seq>     MessageEvent, in the order they happened
 *   s!a!<account>!<time>!<id> listing entry of an account's message (message-listing.ts)
 */
import type { Level } from 'level';
import type { SpoolBatch } from '../spool/batch.js';
import { decodeRecord, encodeRecord } from '../spool/records.js';
import type { MessageEvent, MessagePage, MessageQuery, MessageStatusView, MessageSummary, RecipientStatus } from './types.js';

export type { MessageEvent, MessagePage, MessageQuery, MessageStatusView, MessageSummary, RecipientStatus } from './types.js';
import { listAccountMessages, MAX_SCANNED_PER_PAGE, putListingEntry } from './message-listing.js';

export interface StatusStore {
  /** Records a new message with the initial status of each recipient. */
  putMessage(batch: SpoolBatch, summary: MessageSummary, recipients: RecipientStatus[]): void;
  /** Replaces one recipient's status (index = position in the submitted recipient list). */
  putRecipient(batch: SpoolBatch, messageId: string, index: number, status: RecipientStatus): void;
  /** Appends to the message's event log. */
  putEvent(batch: SpoolBatch, messageId: string, event: MessageEvent): void;
  /** Everything known about one message, or undefined. */
  get(messageId: string): Promise<MessageStatusView | undefined>;
  /**
   * One account's messages matching `query`, newest first (messages submitted
   * without an account are never listed). A page may stop early, with fewer than
   * `limit` items and a nextCursor, when a store bounds the work per request; only
   * a null nextCursor means the end. A bad cursor throws InvalidRequestError.
   */
  list(accountId: string, query: MessageQuery): Promise<MessagePage>;
  /** Shutdown: waits for what the store still has in flight (cluster mode: copies to Redis). */
  close(): Promise<void>;
}

const statusKeys = {
  summary: (id: string) => `s!m!${id}`,
  recipient: (id: string, index: number) => `s!r!${id}!${String(index).padStart(5, '0')}`,
  recipients: (id: string) => ({ gt: `s!r!${id}!`, lt: `s!r!${id}!~` }),
  event: (id: string, sequence: string) => `s!e!${id}!${sequence}`,
  events: (id: string) => ({ gt: `s!e!${id}!`, lt: `s!e!${id}!~` }),
};

export class LevelStatusStore implements StatusStore {
  /** Orders events written in the same millisecond. */
  private eventCounter = 0;

  /** `maxScannedPerPage`: listing entries one list() call looks at, at most. */
  constructor(
    private readonly db: Level<string, Buffer>,
    private readonly maxScannedPerPage = MAX_SCANNED_PER_PAGE,
  ) {}

  putMessage(batch: SpoolBatch, summary: MessageSummary, recipients: RecipientStatus[]): void {
    batch.put(statusKeys.summary(summary.id), encodeRecord(summary));
    recipients.forEach((recipient, index) => this.putRecipient(batch, summary.id, index, recipient));
    putListingEntry(batch, summary, recipients);
  }

  putRecipient(batch: SpoolBatch, messageId: string, index: number, status: RecipientStatus): void {
    batch.put(statusKeys.recipient(messageId, index), encodeRecord(status));
  }

  putEvent(batch: SpoolBatch, messageId: string, event: MessageEvent): void {
    this.eventCounter = (this.eventCounter + 1) % 1_000_000;
    const sequence = `${String(event.at).padStart(14, '0')}${String(this.eventCounter).padStart(6, '0')}`;
    batch.put(statusKeys.event(messageId, sequence), encodeRecord(event));
  }

  /** Nothing in flight: every change is in the spool's synced batches. */
  async close(): Promise<void> {}

  list(accountId: string, query: MessageQuery): Promise<MessagePage> {
    const reader = { recipients: (messageId: string) => this.recipientsOf(messageId), view: (messageId: string) => this.get(messageId) };
    return listAccountMessages(this.db, reader, accountId, query, this.maxScannedPerPage);
  }

  async get(messageId: string): Promise<MessageStatusView | undefined> {
    const summaryValue = await this.db.get(statusKeys.summary(messageId));
    if (summaryValue === undefined) return undefined;
    const summary = decodeRecord<MessageSummary>(summaryValue);
    const recipients = await this.recipientsOf(messageId);
    const events: MessageEvent[] = [];
    for await (const value of this.db.values(statusKeys.events(messageId))) events.push(decodeRecord<MessageEvent>(value));
    return { ...summary, recipients, events };
  }

  private async recipientsOf(messageId: string): Promise<RecipientStatus[]> {
    const recipients: RecipientStatus[] = [];
    for await (const value of this.db.values(statusKeys.recipients(messageId))) recipients.push(decodeRecord<RecipientStatus>(value));
    return recipients;
  }
}
