/**
 * The queue stage's write: one synced spool batch holding the body (once), a
 * record per recipient to deliver, and the initial status and log of every
 * recipient; the receipt is answered only after that batch is on disk, and the
 * new recipients are announced to the scheduler after it. It runs in the process
 * that owns the spool: the only one, or the primary when workers receive.
 */
import type { EventBus } from '../events.js';
import type { RecipientRecord } from '../spool/records.js';
import type { Spool } from '../spool/spool.js';
import { SpoolBatch } from '../spool/batch.js';
import type { StatusStore } from '../status/status-store.js';
import type { MessageCommitter, QueuedMessage, Receipt } from './queue.js';

export interface SpoolCommitterDeps {
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  bodyChunkBytes: number;
  now: () => number;
}

export class SpoolCommitter implements MessageCommitter {
  constructor(private readonly deps: SpoolCommitterDeps) {}

  async commit(message: QueuedMessage): Promise<Receipt> {
    const { spool, status, events } = this.deps;
    const now = this.deps.now();
    const batch = new SpoolBatch();
    const toDeliver: RecipientRecord[] = [];
    message.recipients.forEach((recipient, index) => {
      if (recipient.state !== 'queued') return;
      toDeliver.push({ messageId: message.id, index, address: recipient.address, domain: recipient.domain, state: 'queued', attempts: 0, queuedAt: now, nextAttemptAt: now });
    });
    const account = message.accountId === undefined ? {} : { accountId: message.accountId };
    if (toDeliver.length > 0) {
      spool.putMessage(
        batch,
        { id: message.id, from: message.returnPath ?? message.from, ...account, createdAt: message.createdAt, options: message.options, tags: message.tags, recipientCount: toDeliver.length },
        message.raw,
        toDeliver,
        this.deps.bodyChunkBytes,
      );
    }
    status.putMessage(
      batch,
      { id: message.id, ...account, from: message.from, subject: message.subject, tags: message.tags, createdAt: message.createdAt, size: message.raw.length },
      message.recipients.map((recipient) => ({ address: recipient.address, status: recipient.state, attempts: 0, lastResponse: recipient.reason ?? null, updatedAt: now })),
    );
    status.putEvent(batch, message.id, { type: 'accepted', at: now });
    for (const scan of message.scans) status.putEvent(batch, message.id, { type: 'scanned', at: now, scan });
    for (const recipient of message.recipients) {
      if (recipient.state !== 'queued') status.putEvent(batch, message.id, { type: recipient.state, at: now, recipient: recipient.address, reason: recipient.reason ?? recipient.state });
    }
    const notQueued = message.recipients.flatMap((recipient) => (recipient.state === 'queued' ? [] : [{ address: recipient.address, state: recipient.state }]));
    batch.afterCommit(() =>
      events.emit('message:accepted', {
        messageId: message.id,
        ...account,
        from: message.from,
        recipients: toDeliver.map((recipient) => recipient.address),
        notQueued,
        tags: message.tags,
        size: message.raw.length,
        at: now,
      }),
    );
    await spool.commit(batch);
    spool.announceQueued(toDeliver);

    const accepted = message.recipients.filter((recipient) => recipient.state === 'queued' || recipient.state === 'test').length;
    return {
      id: message.id,
      accepted,
      rejected: message.recipients.length - accepted,
      recipients: message.recipients.map((recipient) => ({ address: recipient.address, status: recipient.state, ...(recipient.reason ? { reason: recipient.reason } : {}) })),
    };
  }
}
