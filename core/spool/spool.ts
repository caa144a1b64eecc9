/**
 * The durable queue: the only thing the receiving side (pipeline) and the
 * sending side (scheduler, delivery) share. A message is its MessageRecord,
 * its body chunks and one RecipientRecord per recipient still to deliver.
 * Every write goes through the group committer, synced before it resolves.
 */
import { isAscii } from 'node:buffer';
import { createHash, type Hash } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Level } from 'level';
import { outpostError } from '../errors.js';
import { GroupCommitter } from './group-commit.js';
import { HotMessages } from './hot-messages.js';
import { DIGEST_BYTES, decodeRecord, digestOf, encodeRecord, keys, type MessageRecord, type RecipientRecord } from './records.js';
import { SpoolBatch } from './batch.js';

/** Body chunks fetched per read while streaming a body out (bounds memory for large messages). */
const BODY_CHUNKS_PER_READ = 8;
/** Bodies of just-queued messages kept in memory for their first attempt (see HotMessages). */
const HOT_MESSAGE_BYTES = 32 * 1024 * 1024;

export class Spool {
  readonly committer: GroupCommitter;
  readonly hot = new HotMessages(HOT_MESSAGE_BYTES);
  private readonly queuedListeners: ((recipients: RecipientRecord[]) => void)[] = [];

  private constructor(readonly db: Level<string, Buffer>) {
    this.committer = new GroupCommitter(db);
  }

  /** Opens (creating if needed) the LevelDB store in `directory`. */
  static async open(directory: string): Promise<Spool> {
    await mkdir(directory, { recursive: true });
    const db = new Level<string, Buffer>(directory, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    try {
      await db.open();
    } catch (error) {
      const cause = (error as { cause?: Error }).cause;
      throw outpostError('storage_failed', `cannot open the spool in ${directory}: ${cause?.message ?? (error as Error).message} (is another Outpost using this OUTPOST_DATA_DIR?)`, { cause: error });
    }
    return new Spool(db);
  }

  /**
   * Tells the sending side about recipients now durably queued. This is how
   * the receiving side hands work over without importing the scheduler.
   */
  onQueued(listener: (recipients: RecipientRecord[]) => void): void {
    this.queuedListeners.push(listener);
  }

  announceQueued(recipients: RecipientRecord[]): void {
    if (recipients.length === 0) return;
    for (const listener of this.queuedListeners) listener(recipients);
  }

  /** Makes every operation of `batch` durable, then runs its after-commit callbacks. */
  async commit(batch: SpoolBatch): Promise<void> {
    if (batch.operations.length > 0) await this.committer.write(batch.operations);
    batch.runCommitted();
  }

  /** Puts a new message into `batch`: body chunks, recipient records, then the message record. */
  putMessage(batch: SpoolBatch, record: Omit<MessageRecord, 'bodyChunks' | 'bodyDigest' | 'size' | 'eightBit'>, body: Buffer, recipients: RecipientRecord[], chunkBytes: number): MessageRecord {
    let chunks = 0;
    for (let offset = 0; offset < body.length || chunks === 0; offset += chunkBytes) {
      batch.put(keys.bodyChunk(record.id, chunks++), body.subarray(offset, offset + chunkBytes));
    }
    for (const recipient of recipients) batch.put(keys.recipient(record.id, recipient.index), encodeRecord(recipient));
    const complete: MessageRecord = {
      ...record,
      size: body.length,
      bodyChunks: chunks,
      bodyDigest: digestOf(body).toString('hex'),
      // native and vectorised: a JS callback per byte was 1.4% of the CPU of a send
      eightBit: !isAscii(body),
    };
    batch.put(keys.message(record.id), encodeRecord(complete));
    batch.afterCommit(() => this.hot.add(complete, body));
    return complete;
  }

  putRecipient(batch: SpoolBatch, recipient: RecipientRecord): void {
    batch.put(keys.recipient(recipient.messageId, recipient.index), encodeRecord(recipient));
  }

  deleteRecipient(batch: SpoolBatch, recipient: RecipientRecord): void {
    batch.del(keys.recipient(recipient.messageId, recipient.index));
  }

  /** Deletes the message record and its body once no recipient needs them (the chunk keys follow from the record). */
  deleteMessage(batch: SpoolBatch, record: MessageRecord): void {
    this.hot.delete(record.id);
    batch.del(keys.message(record.id));
    for (let chunk = 0; chunk < record.bodyChunks; chunk++) batch.del(keys.bodyChunk(record.id, chunk));
  }

  async readMessage(messageId: string): Promise<MessageRecord | undefined> {
    const hot = this.hot.record(messageId);
    if (hot) return hot;
    const stored = await this.db.get(keys.message(messageId));
    return stored === undefined ? undefined : decodeRecord<MessageRecord>(stored);
  }

  /**
   * The stored message as a stream, read a few chunks at a time. The chunk
   * keys are known from the record, so they are fetched with getMany: a
   * LevelDB iterator per delivery cost more CPU than the reads themselves.
   * The digest is checked as the bytes go by; a mismatch or a missing chunk
   * errors the stream before its end, so a damaged body makes the SMTP
   * transaction fail instead of sending it. A body still in memory since it
   * was queued is streamed from there.
   */
  openBody(record: MessageRecord): Readable {
    const hot = this.hot.body(record);
    if (hot) return Readable.from([hot], { objectMode: false });
    const db = this.db;
    async function* chunks(): AsyncGenerator<Buffer> {
      const hash = createHash('sha256');
      for (let first = 0; first < record.bodyChunks; first += BODY_CHUNKS_PER_READ) {
        const wanted = Array.from({ length: Math.min(BODY_CHUNKS_PER_READ, record.bodyChunks - first) }, (_, offset) => keys.bodyChunk(record.id, first + offset));
        const values = await db.getMany(wanted);
        for (const [offset, chunk] of values.entries()) {
          if (chunk === undefined) throw outpostError('storage_failed', `body of message ${record.id} is missing chunk ${first + offset} of ${record.bodyChunks}`);
          hash.update(chunk);
          if (first + offset === record.bodyChunks - 1 && digestHex(hash) !== record.bodyDigest) {
            throw outpostError('storage_failed', `body of message ${record.id} is damaged (digest mismatch)`);
          }
          yield chunk;
        }
      }
    }
    return Readable.from(chunks(), { objectMode: false });
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function digestHex(hash: Hash): string {
  return hash.digest().subarray(0, DIGEST_BYTES).toString('hex');
}
