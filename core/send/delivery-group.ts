/**
 * What one delivery attempt carries: recipients of one message on one
 * destination domain, sent in a single SMTP transaction, and how each ended.
 */
import type { AttemptRecord } from '../events.js';
import type { MessageRecord, RecipientRecord } from '../spool/records.js';

export interface DeliveryGroup {
  readonly message: MessageRecord;
  readonly domain: string;
  readonly recipients: readonly RecipientRecord[];
}

/** A delivery attempt ends in only two ways per recipient: done (delivered or bounced) or try again. */
export type RecipientOutcome =
  | { kind: 'delivered'; attempt: AttemptRecord }
  | { kind: 'permanent'; attempt: AttemptRecord }
  | { kind: 'temporary'; attempt: AttemptRecord };

/** The same outcome for every recipient of the group (a connection failure, a hook verdict). */
export function sameOutcomeForAll(group: DeliveryGroup, outcome: RecipientOutcome): Map<number, RecipientOutcome> {
  return new Map(group.recipients.map((recipient) => [recipient.index, outcome]));
}
