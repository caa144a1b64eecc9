/**
 * The one place a report that came back later changes a recipient: a DSN
 * turns a delivered recipient `bounced`, an ARF complaint turns it
 * `complained`. The new status, its classification and the event in the
 * message log land in one synced batch; the bus event (and so webhooks,
 * suppression and account health) follows once that is durable. A report only
 * ever touches the message the return path named and a recipient of that
 * message; anything else is refused, never guessed.
 */
import type { EventBus } from '../events.js';
import { SpoolBatch } from '../spool/batch.js';
import type { Spool } from '../spool/spool.js';
import type { StatusStore } from './status-store.js';
import type { BounceClassification, ReportDetails, RecipientStatus } from './types.js';

export type RecipientReport =
  | { kind: 'bounced'; messageId: string; recipient: string; classification: BounceClassification; description: string; report: ReportDetails }
  | { kind: 'complained'; messageId: string; recipient: string; feedbackType: string; report: ReportDetails };

/** What became of a report: recorded, already said (the same state), or about nothing Outpost knows. */
export type ReportResult = 'recorded' | 'unchanged' | 'unknown-message' | 'unknown-recipient';

export interface ReportDeps {
  spool: Spool;
  status: StatusStore;
  events: EventBus;
  now: () => number;
}

/** States a late report may change: only what left the queue as sent. A bounce never undoes a complaint. */
const CHANGEABLE: Record<RecipientReport['kind'], ReadonlySet<RecipientStatus['status']>> = {
  bounced: new Set(['delivered']),
  complained: new Set(['delivered', 'bounced']),
};

export async function recordRecipientReport(deps: ReportDeps, report: RecipientReport): Promise<ReportResult> {
  const view = await deps.status.get(report.messageId);
  if (!view) return 'unknown-message';
  const index = view.recipients.findIndex((recipient) => recipient.address.toLowerCase() === report.recipient.toLowerCase());
  if (index === -1) return 'unknown-recipient';
  const current = view.recipients[index]!;
  if (!CHANGEABLE[report.kind].has(current.status)) return 'unchanged';

  const now = deps.now();
  const batch = new SpoolBatch();
  const base = { messageId: view.id, ...(view.accountId === undefined ? {} : { accountId: view.accountId }), recipient: current.address, at: now };
  if (report.kind === 'bounced') {
    deps.status.putRecipient(batch, view.id, index, { ...current, status: 'bounced', lastResponse: report.description, updatedAt: now, classification: report.classification, report: report.report });
    deps.status.putEvent(batch, view.id, { type: 'bounced', at: now, recipient: current.address, reason: report.description, classification: report.classification, report: report.report });
    batch.afterCommit(() =>
      deps.events.emit('recipient:bounced', { ...base, reason: report.classification.reason, bounceType: report.classification.type, description: report.description, async: true, report: report.report }),
    );
  } else {
    const classification: BounceClassification = { reason: 'feedback', type: 'hard' };
    deps.status.putRecipient(batch, view.id, index, { ...current, status: 'complained', lastResponse: `complaint (${report.feedbackType})`, updatedAt: now, classification, report: report.report });
    deps.status.putEvent(batch, view.id, { type: 'complained', at: now, recipient: current.address, reason: `complaint (${report.feedbackType})`, classification, report: report.report });
    batch.afterCommit(() => deps.events.emit('recipient:complained', { ...base, feedbackType: report.feedbackType, report: report.report }));
  }
  await deps.spool.commit(batch);
  return 'recorded';
}
