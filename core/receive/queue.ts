/**
 * Queue stage: the `message:queue` hooks, then the message, finished, goes to
 * the committer, which writes it to the spool in one synced batch and answers
 * the receipt only once that write is on disk (core/receive/commit.ts). In one
 * process the committer is the spool's own; with workers, the worker hands the
 * finished message to the primary, which owns the spool (core/workers/).
 */
import type { PipelineMessage, RecipientState } from '../message.js';
import type { ScanDetails } from '../status/types.js';
import type { HookRegistry } from '../plugins/hooks.js';
import { runMessageHooks } from './stage-hooks.js';

export interface Receipt {
  id: string;
  accepted: number;
  rejected: number;
  recipients: { address: string; status: RecipientState; reason?: string }[];
}

/** A message the pipeline has finished with: plain data, so it can cross to the process that owns the spool. */
export interface QueuedMessage {
  id: string;
  accountId?: string;
  /** Envelope sender as submitted (shown in status). */
  from: string;
  /** Envelope sender for delivery, when a plugin set one. */
  returnPath?: string;
  createdAt: number;
  options: PipelineMessage['options'];
  tags: string[];
  subject: string;
  /** Header block and body, final (signed). */
  raw: Buffer;
  recipients: { address: string; domain: string; state: 'queued' | 'rejected' | 'suppressed' | 'test'; reason?: string }[];
  /** Scanners' verdicts, for the message log. */
  scans: ScanDetails[];
}

/** Makes a finished message durable; resolves with its receipt once it is fsynced. */
export interface MessageCommitter {
  commit(message: QueuedMessage): Promise<Receipt>;
}

export async function queueStage(message: PipelineMessage, hooks: HookRegistry, committer: MessageCommitter): Promise<Receipt> {
  await runMessageHooks(hooks, 'message:queue', message);
  if (message.options.testMode) {
    for (const recipient of message.deliverable) message.setRecipientState(recipient.address, 'test', 'test mode: not sent');
  }
  return committer.commit({
    id: message.id,
    ...(message.accountId === undefined ? {} : { accountId: message.accountId }),
    from: message.from,
    ...(message.returnPath === undefined ? {} : { returnPath: message.returnPath }),
    createdAt: message.createdAt,
    options: message.options,
    tags: message.tags,
    subject: message.headers.getFirst('subject'),
    raw: message.toBuffer(),
    recipients: message.recipients.map(({ address, domain, state, reason }) => ({ address, domain, state, ...(reason === undefined ? {} : { reason }) })),
    scans: message.scans,
  });
}
