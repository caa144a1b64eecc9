/**
 * Start-up recovery: rebuilds the in-memory queue from the spool after a clean
 * stop or a crash. Records that cannot be read (torn or damaged writes) are
 * moved aside under `x!` with the reason logged, and the whole message they
 * belong to goes with them: a message is delivered complete or not at all, and
 * a bad record never stops the start (no crash loop).
 */
import type { Logger } from 'pino';
import { decodeRecord, keys, messageIdOfKey, type MessageRecord, type RecipientRecord } from './records.js';
import type { Spool } from './spool.js';
import { SpoolBatch } from './batch.js';

export interface RecoveredQueue {
  /** Recipients still to deliver, with their stored next-attempt times. */
  recipients: RecipientRecord[];
  /** Messages set aside, with why. */
  quarantined: { messageId: string; reason: string }[];
  /** Messages whose recipients were all done but whose records a crash left behind. */
  finishedMessagesRemoved: number;
}

export async function recoverQueue(spool: Spool, logger: Logger): Promise<RecoveredQueue> {
  const damaged = new Map<string, string>();
  const messages = new Map<string, MessageRecord>();
  for await (const [key, value] of spool.db.iterator(keys.allMessages)) {
    try {
      messages.set(messageIdOfKey(key), decodeRecord<MessageRecord>(value));
    } catch (error) {
      damaged.set(messageIdOfKey(key), `message record ${key}: ${(error as Error).message}`);
    }
  }

  const recipients: RecipientRecord[] = [];
  const messagesWithRecipients = new Set<string>();
  for await (const [key, value] of spool.db.iterator(keys.allRecipients)) {
    const messageId = messageIdOfKey(key);
    messagesWithRecipients.add(messageId);
    if (damaged.has(messageId)) continue;
    try {
      if (!messages.has(messageId)) throw new Error('no message record for this recipient');
      recipients.push(decodeRecord<RecipientRecord>(value));
    } catch (error) {
      damaged.set(messageId, `recipient record ${key}: ${(error as Error).message}`);
    }
  }

  const batch = new SpoolBatch();
  for (const [messageId, reason] of damaged) {
    await quarantineMessage(spool, batch, messageId);
    logger.error({ messageId, reason }, 'spool record unreadable; message quarantined (kept under x! in the spool, not delivered)');
  }
  let finishedMessagesRemoved = 0;
  for (const [messageId, message] of messages) {
    if (!messagesWithRecipients.has(messageId) && !damaged.has(messageId)) {
      spool.deleteMessage(batch, message);
      finishedMessagesRemoved++;
    }
  }
  await spool.commit(batch);
  return {
    recipients: recipients.filter((recipient) => !damaged.has(recipient.messageId)),
    quarantined: [...damaged].map(([messageId, reason]) => ({ messageId, reason })),
    finishedMessagesRemoved,
  };
}

/** Moves every record of `messageId` under x!, where nothing delivers from. */
export async function quarantineMessage(spool: Spool, batch: SpoolBatch, messageId: string): Promise<void> {
  for (const range of [
    { gte: keys.message(messageId), lte: keys.message(messageId) },
    keys.bodyRange(messageId),
    keys.recipientRange(messageId),
  ]) {
    for await (const [key, value] of spool.db.iterator(range)) {
      batch.put(keys.quarantine(key), value);
      batch.del(key);
    }
  }
}
