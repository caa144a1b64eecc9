/**
 * Queue stage: the `message:queue` hooks, then one synced spool write holding
 * the body (once), a record per recipient to deliver and the initial status of
 * every recipient. The receipt is returned only after that write is on disk.
 */
import type { EventBus } from '../events.js';
import type { PipelineMessage, RecipientState } from '../message.js';
import type { RecipientRecord } from '../spool/records.js';
import type { Spool } from '../spool/spool.js';
import { SpoolBatch } from '../spool/batch.js';
import type { StatusStore } from '../status/status-store.js';
import type { HookRegistry } from '../plugins/hooks.js';
import { runMessageHooks } from './stage-hooks.js';

export interface Receipt {
  id: string;
  accepted: number;
  rejected: number;
  recipients: { address: string; status: RecipientState; reason?: string }[];
}

export interface QueueStageDeps {
  hooks: HookRegistry;
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  bodyChunkBytes: number;
  now: () => number;
}

export async function queueStage(message: PipelineMessage, deps: QueueStageDeps): Promise<Receipt> {
  await runMessageHooks(deps.hooks, 'message:queue', message);
  if (message.options.testMode) {
    for (const recipient of message.deliverable) message.setRecipientState(recipient.address, 'test', 'test mode: not sent');
  }

  const now = deps.now();
  const raw = message.toBuffer();
  const batch = new SpoolBatch();
  const toDeliver: RecipientRecord[] = [];
  message.recipients.forEach((recipient, index) => {
    if (recipient.state !== 'queued') return;
    toDeliver.push({
      messageId: message.id,
      index,
      address: recipient.address,
      domain: recipient.domain,
      state: 'queued',
      attempts: 0,
      queuedAt: now,
      nextAttemptAt: now,
    });
  });
  if (toDeliver.length > 0) {
    deps.spool.putMessage(
      batch,
      {
        id: message.id,
        from: message.returnPath ?? message.from,
        ...(message.accountId ? { accountId: message.accountId } : {}),
        createdAt: message.createdAt,
        options: message.options,
        tags: message.tags,
        recipientCount: toDeliver.length,
      },
      raw,
      toDeliver,
      deps.bodyChunkBytes,
    );
  }
  deps.status.putMessage(
    batch,
    {
      id: message.id,
      ...(message.accountId ? { accountId: message.accountId } : {}),
      from: message.from,
      subject: message.headers.getFirst('subject'),
      tags: message.tags,
      createdAt: message.createdAt,
      size: raw.length,
    },
    message.recipients.map((recipient) => ({
      address: recipient.address,
      status: recipient.state,
      attempts: 0,
      lastResponse: recipient.reason ?? null,
      updatedAt: now,
    })),
  );
  deps.status.putEvent(batch, message.id, { type: 'accepted', at: now });
  for (const recipient of message.recipients) {
    if (recipient.state !== 'queued') {
      deps.status.putEvent(batch, message.id, { type: recipient.state, at: now, recipient: recipient.address, reason: recipient.reason ?? recipient.state });
    }
  }
  batch.afterCommit(() =>
    deps.events.emit('message:accepted', {
      messageId: message.id,
      ...(message.accountId === undefined ? {} : { accountId: message.accountId }),
      from: message.from,
      recipients: toDeliver.map((recipient) => recipient.address),
      size: raw.length,
      at: now,
    }),
  );
  await deps.spool.commit(batch);
  deps.spool.announceQueued(toDeliver);

  const accepted = message.recipients.filter((recipient) => recipient.state === 'queued' || recipient.state === 'test').length;
  return {
    id: message.id,
    accepted,
    rejected: message.recipients.length - accepted,
    recipients: message.recipients.map((recipient) => ({
      address: recipient.address,
      status: recipient.state,
      ...(recipient.reason ? { reason: recipient.reason } : {}),
    })),
  };
}
