/**
 * When a message is done: every recipient in a final state. `delivered` counts
 * as final although a bounce or complaint may still be reported later (a DSN
 * days after); `queued` and `deferred` are still on their way.
 */
import type { Message, RecipientStatus } from './types.js';

export const FINAL_STATUSES: readonly RecipientStatus[] = ['delivered', 'bounced', 'complained', 'rejected', 'suppressed', 'test'];

/** Every recipient has a final status. */
export function isFinal(message: Message): boolean {
  return message.recipients.every((recipient) => FINAL_STATUSES.includes(recipient.status));
}

/** Every recipient ended as wanted: delivered (or test, in test mode). */
export function allDelivered(message: Message): boolean {
  return message.recipients.every((recipient) => recipient.status === 'delivered' || recipient.status === 'test');
}
