/**
 * Built-in bounces plugin: reads what comes back to the inbound MX listener
 * (`mx:message`) and records it per recipient. A DSN (RFC 3464) or a
 * non-standard bounce turns a delivered recipient `bounced`, classified by the
 * same classifier as delivery replies; an ARF complaint (RFC 5965) turns it
 * `complained`. Auto-replies (vacation, out of office) and anything else change
 * nothing. A report is tied to the one message its return path (or, for a
 * complaint sent to abuse@, the return path quoted in it) names, and only that
 * message's recipients can be touched: a report naming anyone else is logged
 * and ignored. It never answers a report with mail, so no loop can start here.
 */
import { classifyBounce, definePlugin, parseReplyLine, verdict, type InboundMessage, type PluginApi, type ReportResult } from 'outpost/plugin';
import { parseReport, type ParsedReport, type ReportedRecipient } from './parse-report.js';

/** Recipients read from one report, at most (a 1,000-recipient DSN is cut, not refused). */
const MAX_REPORTED_RECIPIENTS = 100;

/** The one message a report is about: named by the return path it was sent to, else by a verified token quoted in it. */
function messageIdOf(api: PluginApi, message: InboundMessage, report: ParsedReport): string | undefined {
  // mail to a List-Unsubscribe address is the tracking plugin's, not a report
  const named = new Set(message.recipients.flatMap((recipient) => (recipient.returnPath && recipient.purpose !== 'unsubscribe' ? [recipient.returnPath.messageId] : [])));
  if (named.size === 0) {
    for (const token of report.tokens) {
      const verified = api.returnPaths.verify(token);
      if (verified) named.add(verified.messageId);
    }
  }
  return named.size === 1 ? [...named][0] : undefined;
}

/**
 * Each reported recipient that is a recipient of the message. A report that names no address of
 * a message sent to one recipient is about that one when its addresses are a guess or hidden: a
 * text bounce (read from prose, or a forward's address) and a complaint (feedback loops redact
 * the recipient). A DSN names its recipients in fields, so a DSN naming someone else changes nothing.
 */
function attribute(kind: ParsedReport['kind'], reported: readonly ReportedRecipient[], sentTo: readonly string[]): { recipient: string; reported: ReportedRecipient }[] {
  const sent = new Map(sentTo.map((address) => [address.toLowerCase(), address]));
  const matched = reported.flatMap((entry) => {
    const address = sent.get(entry.address.toLowerCase());
    return address ? [{ recipient: address, reported: entry }] : [];
  });
  const guessed = kind === 'bounce' || kind === 'arf' || reported.length === 0;
  if (matched.length === 0 && guessed && sentTo.length === 1 && reported.length <= 1) return [{ recipient: sentTo[0]!, reported: reported[0] ?? { address: sentTo[0]! } }];
  return matched;
}

/** A DSN action other than failed (delayed, delivered, relayed, expanded) changes nothing: the message is still on its way or arrived. */
function isFailure(entry: ReportedRecipient): boolean {
  return entry.action === undefined || entry.action === 'failed';
}

export default definePlugin({
  name: 'bounces',
  register(api) {
    const reports = api.metrics.counter('reports_total', 'Mail received on the inbound MX, by kind (dsn, bounce, arf, autoreply, other) and what it changed', ['kind', 'result']);

    api.addHook('mx:message', async (message) => {
      const report = await parseReport(message.raw, { maxRecipients: MAX_REPORTED_RECIPIENTS });
      const log = { inbound: message.id, kind: report.kind, from: message.from, ip: message.remoteAddress };
      if (message.recipients.every((recipient) => recipient.purpose === 'unsubscribe')) return verdict.continue();
      if (report.kind === 'autoreply' || report.kind === 'other') {
        reports.inc({ kind: report.kind, result: 'ignored' });
        api.logger.info(log, report.kind === 'autoreply' ? 'auto-reply received: not a bounce, nothing changes' : 'mail received that is neither a bounce nor a complaint; kept, nothing changes');
        return verdict.continue();
      }
      const messageId = messageIdOf(api, message, report);
      const sent = messageId === undefined ? undefined : await api.messages.get(messageId);
      if (!sent || sent.accountId === undefined) {
        reports.inc({ kind: report.kind, result: 'unattributed' });
        api.logger.warn({ ...log, messageId, tokens: report.tokens.length }, 'report names no single message Outpost sent for an account; nothing changes');
        return verdict.continue();
      }
      if (report.truncated) api.logger.warn({ ...log, messageId }, `report names more than ${MAX_REPORTED_RECIPIENTS} recipients; only the first are read`);

      const details = { reportedAt: message.receivedAt };
      const results: ReportResult[] = [];
      const targets = attribute(report.kind, report.recipients, sent.recipients.map((recipient) => recipient.address));
      for (const { recipient, reported } of targets) {
        if (report.kind === 'arf') {
          const feedbackType = report.feedbackType ?? 'abuse';
          results.push(await api.messages.recordComplaint(sent.id, recipient, { feedbackType, report: { ...details, feedbackType } }));
          continue;
        }
        if (!isFailure(reported)) continue;
        const reply = parseReplyLine(reported.diagnosticCode ?? '');
        const code = reported.smtpCode ?? reply.code;
        const status = reported.status ?? reply.status;
        const classification = classifyBounce({ ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }), text: reported.diagnosticCode ?? '' });
        results.push(
          await api.messages.recordBounce(sent.id, recipient, {
            classification: { reason: classification.reason, type: classification.type },
            description: reported.diagnosticCode ?? (status ? `status ${status}` : 'bounced (reported after delivery)'),
            report: {
              ...details,
              ...(reported.diagnosticCode ? { diagnosticCode: reported.diagnosticCode } : {}),
              ...(reported.remoteMta ? { remoteMta: reported.remoteMta } : {}),
            },
          }),
        );
      }
      const outside = report.recipients.length - targets.length;
      if (outside > 0 && report.kind !== 'bounce') api.logger.warn({ ...log, messageId: sent.id, outside }, 'report names addresses that are not recipients of its message; they are ignored');
      reports.inc({ kind: report.kind, result: results.includes('recorded') ? 'recorded' : 'unchanged' });
      api.logger.info({ ...log, messageId: sent.id, results }, 'report received');
      return verdict.continue();
    });
  },
});
