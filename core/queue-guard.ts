/**
 * The queue guard, the same for every front end: while this node's queue holds
 * OUTPOST_MAX_QUEUED_RECIPIENTS recipients, new mail is refused (503 queue_full,
 * SMTP 452 4.3.1) before its body is read. The scheduler keeps every queued
 * recipient in memory (about 2–4 KB each at peak), so without a bound a
 * destination that defers everything would grow the process until it is killed,
 * and the same size would then be read back at every restart.
 */
import { QueueFullError } from './errors.js';

export function checkQueueRoom(queuedRecipients: number, maxQueuedRecipients: number): void {
  if (queuedRecipients < maxQueuedRecipients) return;
  throw new QueueFullError(
    `the queue holds ${queuedRecipients} recipients, its limit (OUTPOST_MAX_QUEUED_RECIPIENTS); nothing was sent: retry in a few minutes, once deliveries have drained it`,
  );
}
