/**
 * The one place a queued recipient changes state after a delivery attempt.
 * It stages, in one transaction, the spool change (keep with a new
 * next-attempt time, or remove), the recipient's new status and the event in
 * the message log, and emits the bus event once that is durable.
 */
import type { AttemptRecord, EventBus } from '../events.js';
import type { RecipientOutcome } from './delivery-group.js';
import { decideAfterTemporaryFailure, type RetryPolicy } from './retry-policy.js';
import type { RecipientRecord } from '../spool/records.js';
import type { Spool } from '../spool/spool.js';
import type { SpoolTransaction } from '../spool/batch.js';
import type { StatusStore } from '../status/status-store.js';

export interface TransitionDeps {
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  policy: RetryPolicy;
}

/** The recipient's record if it stays queued, or undefined when it is done. */
export function stageRecipientOutcome(
  deps: TransitionDeps,
  tx: SpoolTransaction,
  recipient: RecipientRecord,
  outcome: RecipientOutcome,
  now: number,
  accountId: string | undefined,
): RecipientRecord | undefined {
  const attempts = recipient.attempts + 1;
  const attempt = outcome.attempt;
  const base = { messageId: recipient.messageId, ...(accountId === undefined ? {} : { accountId }), recipient: recipient.address, at: now };

  if (outcome.kind === 'temporary') {
    const decision = decideAfterTemporaryFailure(attempts, recipient.queuedAt, now, deps.policy);
    if (decision.action === 'retry') {
      const next: RecipientRecord = { ...recipient, state: 'deferred', attempts, nextAttemptAt: decision.nextAttemptAt, lastResponse: attempt.response };
      deps.spool.stageRecipient(tx, next);
      stageStatus(deps, tx, recipient, 'deferred', attempts, attempt, now, { nextAttemptAt: decision.nextAttemptAt });
      tx.afterCommit(() => deps.events.emit('recipient:deferred', { ...base, attempt, nextAttemptAt: decision.nextAttemptAt }));
      return next;
    }
    return stageBounce(deps, tx, base, recipient, attempts, attempt, `${decision.reason}; last response: ${attempt.response}`, now);
  }
  if (outcome.kind === 'permanent') return stageBounce(deps, tx, base, recipient, attempts, attempt, attempt.response, now);

  deps.spool.stageRecipientDone(tx, recipient);
  stageStatus(deps, tx, recipient, 'delivered', attempts, attempt, now, {});
  tx.afterCommit(() => deps.events.emit('recipient:delivered', { ...base, attempt }));
  return undefined;
}

function stageBounce(
  deps: TransitionDeps,
  tx: SpoolTransaction,
  base: { messageId: string; accountId?: string; recipient: string; at: number },
  recipient: RecipientRecord,
  attempts: number,
  attempt: AttemptRecord,
  reason: string,
  now: number,
): undefined {
  deps.spool.stageRecipientDone(tx, recipient);
  stageStatus(deps, tx, recipient, 'bounced', attempts, attempt, now, { reason });
  tx.afterCommit(() => deps.events.emit('recipient:bounced', { ...base, attempt, reason }));
  return undefined;
}

function stageStatus(
  deps: TransitionDeps,
  tx: SpoolTransaction,
  recipient: RecipientRecord,
  state: 'deferred' | 'delivered' | 'bounced',
  attempts: number,
  attempt: AttemptRecord,
  now: number,
  extra: { nextAttemptAt?: number; reason?: string },
): void {
  const lastResponse = state === 'bounced' && extra.reason ? extra.reason : attempt.response;
  deps.status.stageRecipient(tx, recipient.messageId, recipient.index, { address: recipient.address, status: state, attempts, lastResponse, updatedAt: now });
  deps.status.stageEvent(tx, recipient.messageId, { type: state, at: now, recipient: recipient.address, attempt, ...extra });
}
