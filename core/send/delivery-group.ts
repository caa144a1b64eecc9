/**
 * What one delivery attempt carries: recipients of one message on one
 * destination domain, sent in a single SMTP transaction, and how each ended.
 */
import { classifyBounce, parseReplyLine, type Classification } from '../bounces/classify.js';
import type { AttemptRecord } from '../events.js';
import type { MessageRecord, RecipientRecord } from '../spool/records.js';

export interface DeliveryGroup {
  readonly message: MessageRecord;
  readonly domain: string;
  readonly recipients: readonly RecipientRecord[];
}

/**
 * A delivery attempt ends in only two ways per recipient: done (delivered or bounced) or try
 * again. A failure carries the one classifier's verdict (reason, hard or soft), which also
 * decided which of the two it is.
 */
export type RecipientOutcome =
  | { kind: 'delivered'; attempt: AttemptRecord }
  | { kind: 'permanent' | 'temporary'; attempt: AttemptRecord; classification: Classification };

/**
 * The outcome of an attempt that was not a 2xx: classified from its reply code, enhanced
 * status and text (core/bounces/classify.ts, rules in config/bounce-rules.ts), so a 4xx a rule
 * knows to be final bounces and a 5xx a rule knows to be passing (greylisting) is retried.
 */
export function failureOutcome(attempt: AttemptRecord): RecipientOutcome {
  // what the attempt recorded wins; what the reply text itself says fills the gaps (a greeting's enhanced status)
  const fromText = parseReplyLine(attempt.response);
  const code = attempt.code ?? fromText.code;
  const status = attempt.status ?? fromText.status;
  const classification = classifyBounce({ ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }), text: attempt.response });
  return { kind: classification.permanent ? 'permanent' : 'temporary', attempt, classification };
}

/** The same outcome for every recipient of the group (a connection failure, a hook verdict). */
export function sameOutcomeForAll(group: DeliveryGroup, outcome: RecipientOutcome): Map<number, RecipientOutcome> {
  return new Map(group.recipients.map((recipient) => [recipient.index, outcome]));
}
