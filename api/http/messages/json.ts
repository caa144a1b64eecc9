/**
 * A stored message status as the API shows it: snake_case names and ISO 8601
 * times (schema.ts describes the shape). Never shows the owning account id:
 * the caller is that account.
 */
import libmime from 'libmime';
import type { AttemptRecord, MessageEvent, MessageStatusView, RecipientStatus } from '../../../core/intake.js';
import type { MessageJson } from './schema.js';

type AttemptJson = NonNullable<MessageJson['events'][number]['attempt']>;

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/**
 * The status store keeps the Subject header as sent, where anything non-ASCII is
 * an RFC 2047 encoded word (`=?UTF-8?Q?...?=`); people want to read it.
 */
function readableSubject(header: string): string {
  try {
    return libmime.decodeWords(header);
  } catch {
    return header;
  }
}

function attemptJson(attempt: AttemptRecord): AttemptJson {
  return {
    at: iso(attempt.at),
    ...(attempt.mx !== undefined ? { mx: attempt.mx } : {}),
    ...(attempt.ip !== undefined ? { ip: attempt.ip } : {}),
    ...(attempt.port !== undefined ? { port: attempt.port } : {}),
    ...(attempt.tls !== undefined ? { tls: attempt.tls && { protocol: attempt.tls.protocol, cipher: attempt.tls.cipher } } : {}),
    ...(attempt.code !== undefined ? { code: attempt.code } : {}),
    ...(attempt.status !== undefined ? { enhanced_status: attempt.status } : {}),
    response: attempt.response,
    duration_ms: attempt.durationMs,
  };
}

function eventJson(event: MessageEvent): MessageJson['events'][number] {
  return {
    type: event.type,
    at: iso(event.at),
    ...(event.recipient !== undefined ? { recipient: event.recipient } : {}),
    ...(event.reason !== undefined ? { reason: event.reason } : {}),
    ...(event.classification ? { bounce_reason: event.classification.reason, bounce_type: event.classification.type } : {}),
    ...(event.report?.diagnosticCode !== undefined ? { diagnostic_code: event.report.diagnosticCode } : {}),
    ...(event.report?.remoteMta !== undefined ? { remote_mta: event.report.remoteMta } : {}),
    ...(event.report?.feedbackType !== undefined ? { feedback_type: event.report.feedbackType } : {}),
    ...(event.scan ? { scan: { ...event.scan } } : {}),
    ...(event.engagement?.url !== undefined ? { url: event.engagement.url } : {}),
    ...(event.engagement?.machine !== undefined ? { machine: event.engagement.machine } : {}),
    ...(event.engagement?.method !== undefined ? { method: event.engagement.method } : {}),
    ...(event.nextAttemptAt !== undefined ? { next_attempt_at: iso(event.nextAttemptAt) } : {}),
    ...(event.attempt !== undefined ? { attempt: attemptJson(event.attempt) } : {}),
  };
}

function recipientJson(recipient: RecipientStatus): MessageJson['recipients'][number] {
  return {
    address: recipient.address,
    status: recipient.status,
    attempts: recipient.attempts,
    last_response: recipient.lastResponse,
    updated_at: iso(recipient.updatedAt),
    ...(recipient.classification ? { reason: recipient.classification.reason, bounce_type: recipient.classification.type } : {}),
    ...(recipient.report?.diagnosticCode !== undefined ? { diagnostic_code: recipient.report.diagnosticCode } : {}),
    ...(recipient.report?.remoteMta !== undefined ? { remote_mta: recipient.report.remoteMta } : {}),
    ...(recipient.report?.feedbackType !== undefined ? { feedback_type: recipient.report.feedbackType } : {}),
    ...(recipient.report ? { reported_at: iso(recipient.report.reportedAt) } : {}),
  };
}

export function messageJson(view: MessageStatusView): MessageJson {
  return {
    id: view.id,
    from: view.from,
    subject: readableSubject(view.subject),
    tags: view.tags,
    created_at: iso(view.createdAt),
    size: view.size,
    recipients: view.recipients.map(recipientJson),
    events: view.events.map(eventJson),
    engagement: engagementJson(view.events),
  };
}

/** Opens, clicks per link and unsubscribes, counted from the message's events; machine opens and clicks apart. */
function engagementJson(events: readonly MessageEvent[]): MessageJson['engagement'] {
  const counts = { opens: 0, machine_opens: 0, clicks: 0, unsubscribes: 0 };
  const links = new Map<string, number>();
  for (const event of events) {
    const machine = event.engagement?.machine === true;
    if (event.type === 'opened') counts[machine ? 'machine_opens' : 'opens']++;
    else if (event.type === 'clicked' && !machine) {
      counts.clicks++;
      const url = event.engagement?.url ?? '';
      links.set(url, (links.get(url) ?? 0) + 1);
    } else if (event.type === 'unsubscribed') counts.unsubscribes++;
  }
  return { ...counts, links: [...links].map(([url, clicks]) => ({ url, clicks })) };
}
