/**
 * What a recipient did with a delivered message, as the tracking plugin sees
 * it: opened it, clicked a link, unsubscribed. Each is an event in the
 * message's log (the per-message counts and per-link clicks of GET
 * /v1/mail/messages/:id are read from them) and a bus event for webhooks and
 * plugins; none changes the recipient's delivery status. Only a recipient of
 * the message named can be recorded.
 */
import type { EventBus } from '../events.js';
import { SpoolBatch } from '../spool/batch.js';
import type { Spool } from '../spool/spool.js';
import type { ReportResult } from './report.js';
import type { StatusStore } from './status-store.js';
import type { EngagementDetails } from './types.js';

export interface Engagement {
  kind: 'opened' | 'clicked' | 'unsubscribed';
  messageId: string;
  /** '' for an open or a click of a message sent to several recipients: the one body names none of them. */
  recipient: string;
  details: EngagementDetails;
}

export interface EngagementDeps {
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  now: () => number;
}

/** Records one engagement; 'recorded', or why not. */
export async function recordEngagement(deps: EngagementDeps, engagement: Engagement): Promise<ReportResult> {
  const view = await deps.status.get(engagement.messageId);
  if (!view) return 'unknown-message';
  const recipient = view.recipients.find((entry) => entry.address.toLowerCase() === engagement.recipient.toLowerCase());
  const messageLevel = engagement.recipient === '' && engagement.kind !== 'unsubscribed';
  if (!recipient && !messageLevel) return 'unknown-recipient';
  const at = deps.now();
  const batch = new SpoolBatch();
  deps.status.putEvent(batch, view.id, { type: engagement.kind, at, ...(recipient ? { recipient: recipient.address } : {}), engagement: engagement.details });
  const base = { messageId: view.id, ...(view.accountId === undefined ? {} : { accountId: view.accountId }), recipient: recipient?.address ?? '', at };
  batch.afterCommit(() => {
    if (engagement.kind === 'opened') deps.events.emit('recipient:opened', { ...base, machine: engagement.details.machine === true });
    else if (engagement.kind === 'clicked') deps.events.emit('recipient:clicked', { ...base, url: engagement.details.url ?? '', machine: engagement.details.machine === true });
    else deps.events.emit('recipient:unsubscribed', { ...base, method: engagement.details.method ?? 'page' });
  });
  await deps.spool.commit(batch);
  return 'recorded';
}
