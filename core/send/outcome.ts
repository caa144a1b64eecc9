/**
 * The one place a queued recipient changes state after a delivery attempt, and
 * the defer/bounce decision: a classified failure (core/bounces/classify.ts)
 * that is permanent bounces; a temporary one is retried per the schedule until
 * the queue time runs out, which bounces it as `expired`.
 * It stages, in one transaction, the spool change (keep with a new
 * next-attempt time, or remove), the recipient's new status and the event in
 * the message log, and once that is durable emits the bus event and logs one
 * line (`delivery: delivered|deferred|bounced|expired`, what operators grep
 * as Postfix's `status=sent`).
 */
import type { Logger } from 'pino';
import type { AttemptRecord, EventBus } from '../events.js';
import type { RecipientOutcome } from './delivery-group.js';
import { decideAfterTemporaryFailure, type RetryPolicy } from './retry-policy.js';
import type { RecipientRecord } from '../spool/records.js';
import type { Spool } from '../spool/spool.js';
import type { SpoolBatch } from '../spool/batch.js';
import type { StatusStore } from '../status/status-store.js';
import type { BounceClassification } from '../status/types.js';

export interface TransitionDeps {
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  policy: RetryPolicy;
  logger: Logger;
}

/** The recipient's record if it stays queued, or undefined when it is done. */
export function putRecipientOutcome(
  deps: TransitionDeps,
  batch: SpoolBatch,
  recipient: RecipientRecord,
  outcome: RecipientOutcome,
  now: number,
  accountId: string | undefined,
): RecipientRecord | undefined {
  const attempts = recipient.attempts + 1;
  const attempt = outcome.attempt;
  const base = { messageId: recipient.messageId, ...(accountId === undefined ? {} : { accountId }), recipient: recipient.address, at: now };
  const logOnCommit = (status: 'delivered' | 'deferred' | 'bounced' | 'expired', extra: object = {}): void =>
    batch.afterCommit(() => deps.logger.info({ ...outcomeLogFields(recipient, attempts, attempt, now), ...(accountId === undefined ? {} : { accountId }), ...extra }, `delivery: ${status}`));

  if (outcome.kind === 'temporary') {
    const decision = decideAfterTemporaryFailure(attempts, recipient.queuedAt, now, deps.policy);
    if (decision.action === 'retry') {
      const next: RecipientRecord = { ...recipient, state: 'deferred', attempts, nextAttemptAt: decision.nextAttemptAt, lastResponse: attempt.response };
      deps.spool.putRecipient(batch, next);
      putStatus(deps, batch, recipient, 'deferred', attempts, attempt, now, { nextAttemptAt: decision.nextAttemptAt });
      batch.afterCommit(() => deps.events.emit('recipient:deferred', { ...base, attempt, nextAttemptAt: decision.nextAttemptAt }));
      logOnCommit('deferred', { retryAt: new Date(decision.nextAttemptAt).toISOString() });
      return next;
    }
    // the queue time ran out: whatever the last reply was, the reason is that it expired (and the address may still work)
    logOnCommit('expired', { reason: 'expired', bounceType: 'soft' });
    return putBounce(deps, batch, base, recipient, attempts, attempt, `${decision.reason}; last response: ${attempt.response}`, { reason: 'expired', type: 'soft' }, now);
  }
  if (outcome.kind === 'permanent') {
    logOnCommit('bounced', { reason: outcome.classification.reason, bounceType: outcome.classification.type });
    return putBounce(deps, batch, base, recipient, attempts, attempt, attempt.response, outcome.classification, now);
  }

  deps.spool.deleteRecipient(batch, recipient);
  putStatus(deps, batch, recipient, 'delivered', attempts, attempt, now, {});
  batch.afterCommit(() => deps.events.emit('recipient:delivered', { ...base, attempt }));
  logOnCommit('delivered');
  return undefined;
}

/**
 * The fields of an outcome's log line: which recipient of which message, the
 * server tried (host, address, TLS), its reply or why there was none, the
 * attempt's number and the time since the recipient was queued.
 */
function outcomeLogFields(recipient: RecipientRecord, attempts: number, attempt: AttemptRecord, now: number): object {
  return {
    messageId: recipient.messageId,
    recipient: recipient.address,
    mx: attempt.mx ?? null,
    ip: attempt.ip ?? null,
    tls: attempt.tls ? `${attempt.tls.protocol} ${attempt.tls.cipher}` : null,
    reply: attempt.response,
    attempt: attempts,
    delayMs: now - recipient.queuedAt,
  };
}

function putBounce(
  deps: TransitionDeps,
  batch: SpoolBatch,
  base: { messageId: string; accountId?: string; recipient: string; at: number },
  recipient: RecipientRecord,
  attempts: number,
  attempt: AttemptRecord,
  description: string,
  classification: BounceClassification,
  now: number,
): undefined {
  deps.spool.deleteRecipient(batch, recipient);
  putStatus(deps, batch, recipient, 'bounced', attempts, attempt, now, { reason: description, classification });
  batch.afterCommit(() =>
    deps.events.emit('recipient:bounced', { ...base, attempt, reason: classification.reason, bounceType: classification.type, description, async: false }),
  );
  return undefined;
}

function putStatus(
  deps: TransitionDeps,
  batch: SpoolBatch,
  recipient: RecipientRecord,
  state: 'deferred' | 'delivered' | 'bounced',
  attempts: number,
  attempt: AttemptRecord,
  now: number,
  extra: { nextAttemptAt?: number; reason?: string; classification?: BounceClassification },
): void {
  const lastResponse = state === 'bounced' && extra.reason ? extra.reason : attempt.response;
  deps.status.putRecipient(batch, recipient.messageId, recipient.index, {
    address: recipient.address,
    status: state,
    attempts,
    lastResponse,
    updatedAt: now,
    ...(extra.classification ? { classification: extra.classification } : {}),
  });
  deps.status.putEvent(batch, recipient.messageId, { type: state, at: now, recipient: recipient.address, attempt, ...extra });
}
