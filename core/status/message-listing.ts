/**
 * One account's messages, newest first, from the embedded status store
 * (GET /v1/mail/messages). Each message submitted for an account gets one
 * listing entry, written in the same synced batch as its status:
 *
 *   s!a!<account>!<createdAt: base36, 9 wide>!<messageId>   tags and recipient addresses
 *
 * so an account's messages are one key range, time-ordered: a page is a reverse
 * range scan, and since/until are range bounds, not filters. The creation time
 * is in the key itself (not only inside the message id) so the order and the
 * time bounds never depend on the id format.
 *
 * A page ends at `limit` matches or after MAX_SCANNED_PER_PAGE entries, whichever
 * comes first: a filter that matches little (a rare tag, an old recipient) must
 * not turn one request into a scan of the account's whole history. A page cut by
 * that bound may hold fewer than `limit` items, even none, with a next_cursor:
 * the client keeps following next_cursor until it is null.
 *
 * This module never writes status and never changes what `get` returns; it only
 * reads the entries putListingEntry wrote.
 */
import type { Level } from 'level';
import { outpostError } from '../errors.js';
import { decodeRecord, encodeRecord } from '../spool/records.js';
import type { SpoolBatch } from '../spool/batch.js';
import type { MessagePage, MessageQuery, MessageStatusView, MessageSummary, RecipientStatus } from './types.js';

/** Listing entries looked at per page, at most (see the header). */
export const MAX_SCANNED_PER_PAGE = 5_000;

/** What the filters need without reading the message: both never change after submission. */
interface ListingEntry {
  tags: string[];
  /** Lower-cased, for case-insensitive recipient matching. */
  recipients: string[];
}

/** Reads the status store does for the filters that need current state. */
export interface ListingReader {
  recipients(messageId: string): Promise<RecipientStatus[]>;
  view(messageId: string): Promise<MessageStatusView | undefined>;
}

const TIME_WIDTH = 9;
const LATEST_KEYABLE_TIME = 36 ** TIME_WIDTH - 1;
/** `<time>!<messageId>`: where a page stopped, inside one account's range. */
const POSITION_PATTERN = new RegExp(`^[0-9a-z]{${TIME_WIDTH}}![^!~]{1,200}$`);

/** A creation time as it sorts in positions and keys: base36, 9 wide. */
export function timeKeyPart(ms: number): string {
  return Math.min(Math.max(0, Math.floor(ms)), LATEST_KEYABLE_TIME).toString(36).padStart(TIME_WIDTH, '0');
}

/**
 * Escapes `!` (the key separator) and `%`, so an account id given by code, such as
 * `a1!x`, can never fall inside the range of account `a1`. API account ids are
 * `a` + hex and stay as they are.
 */
function accountPrefix(accountId: string): string {
  return `s!a!${accountId.replace(/[%!]/g, (character) => (character === '%' ? '%25' : '%21'))}!`;
}

/** Puts the listing entry of a new message; messages without an account are never listed. */
export function putListingEntry(batch: SpoolBatch, summary: MessageSummary, recipients: RecipientStatus[]): void {
  if (summary.accountId === undefined) return;
  const entry: ListingEntry = { tags: summary.tags, recipients: recipients.map((recipient) => recipient.address.toLowerCase()) };
  batch.put(`${accountPrefix(summary.accountId)}${timeKeyPart(summary.createdAt)}!${summary.id}`, encodeRecord(entry));
}

export function encodeCursor(position: string): string {
  return Buffer.from(position).toString('base64url');
}

/** The position inside a cursor; InvalidRequestError (400, naming `cursor`) for anything else. */
export function decodeCursor(cursor: string): string {
  const position = Buffer.from(cursor, 'base64url').toString();
  // Node's base64url decoder skips characters it does not know; re-encoding catches them.
  if (encodeCursor(position) !== cursor || !POSITION_PATTERN.test(position)) {
    const problem = 'not a cursor this API gave out; pass next_cursor from the previous page unchanged';
    throw outpostError('invalid_request', `cursor: ${problem}`, { details: [{ field: 'cursor', problem }] });
  }
  return position;
}

/**
 * The positions (`<time>!<messageId>`) that `query` can match: from `since`
 * (inclusive, a time part) to `before` (exclusive, the lowest of until and the
 * cursor; undefined for no bound).
 */
export function positionBounds(query: MessageQuery): { since: string | undefined; before: string | undefined } {
  const upperBounds: string[] = [];
  if (query.until !== undefined && query.until <= LATEST_KEYABLE_TIME) upperBounds.push(timeKeyPart(query.until));
  if (query.cursor !== undefined) upperBounds.push(decodeCursor(query.cursor));
  const before = upperBounds.length === 0 ? undefined : upperBounds.reduce((lowest, bound) => (bound < lowest ? bound : lowest));
  return { since: query.since === undefined ? undefined : timeKeyPart(query.since), before };
}

/** The key range of `accountId` that `query` can match (since/until/cursor as bounds). */
function rangeOf(prefix: string, query: MessageQuery): { gt?: string; gte?: string; lt: string } {
  const { since, before } = positionBounds(query);
  const lt = before === undefined ? `${prefix}~` : prefix + before;
  return since !== undefined ? { gte: prefix + since, lt } : { gt: prefix, lt };
}

/** Filters the entry alone can answer: tag and recipient address. */
function entryMatches(entry: ListingEntry, query: MessageQuery): boolean {
  if (query.tag !== undefined && !entry.tags.includes(query.tag)) return false;
  if (query.recipient !== undefined && !entry.recipients.includes(query.recipient.toLowerCase())) return false;
  return true;
}

/**
 * The status filter needs the recipients' current state. With a recipient filter
 * too, that recipient must have that status ("where did bob@ bounce?").
 */
function statusMatches(recipients: RecipientStatus[], query: MessageQuery): boolean {
  if (query.status === undefined) return true;
  const wanted = query.recipient?.toLowerCase();
  return recipients.some((recipient) => recipient.status === query.status && (wanted === undefined || recipient.address.toLowerCase() === wanted));
}

/** Every filter of `query` against a message's whole view (stores that hold views, not listing entries). */
export function viewMatches(view: MessageStatusView, query: MessageQuery): boolean {
  const entry: ListingEntry = { tags: view.tags, recipients: view.recipients.map((recipient) => recipient.address.toLowerCase()) };
  return entryMatches(entry, query) && statusMatches(view.recipients, query);
}

/** One page of `accountId`'s messages matching `query`, newest first. */
export async function listAccountMessages(
  db: Level<string, Buffer>,
  reader: ListingReader,
  accountId: string,
  query: MessageQuery,
  maxScanned = MAX_SCANNED_PER_PAGE,
): Promise<MessagePage> {
  const prefix = accountPrefix(accountId);
  const range = rangeOf(prefix, query);
  const items: MessageStatusView[] = [];
  const iterator = db.iterator({ ...range, reverse: true });
  try {
    let scanned = 0;
    let lastPosition = '';
    while (items.length < query.limit && scanned < maxScanned) {
      const next = await iterator.next();
      if (next === undefined) return { items, nextCursor: null };
      const [key, value] = next;
      scanned++;
      lastPosition = key.slice(prefix.length);
      const messageId = lastPosition.slice(TIME_WIDTH + 1);
      if (!entryMatches(decodeRecord<ListingEntry>(value), query)) continue;
      if (query.status !== undefined && !statusMatches(await reader.recipients(messageId), query)) continue;
      const view = await reader.view(messageId);
      if (view) items.push(view);
    }
    // Stopped at limit or at the scan bound: a cursor only if anything is left,
    // so the last page of a listing says so instead of leading to an empty one.
    const more = (await iterator.next()) !== undefined;
    return { items, nextCursor: more ? encodeCursor(lastPosition) : null };
  } finally {
    await iterator.close();
  }
}
