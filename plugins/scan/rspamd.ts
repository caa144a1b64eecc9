/**
 * Scan plugin `scan-rspamd`, off until OUTPOST_SCAN_RSPAMD_URL names an rspamd
 * normal worker: each message is checked with POST /checkv2 and rspamd's
 * action decides: `reject` refuses it as spam (550 5.7.1 spam_detected),
 * `soft reject` and `greylist` defer it (451 4.7.1), `add header` and
 * `rewrite subject` let it pass marked (X-Spam headers, rspamd's Subject),
 * `no action` passes it. An account's spam_threshold (an admin's), when set,
 * replaces rspamd's reject decision by `score >= threshold`; a domain's, set by
 * the account owner, only adds `score >= threshold` to it, so it can refuse
 * more but never lift a reject. An rspamd that is down or slow defers
 * (451 4.7.1 scanner_unavailable) unless OUTPOST_SCAN_FAIL_OPEN.
 */
import { definePlugin, setting, type PipelineMessage } from 'outpost/plugin';
import { addAdapterHook } from './adapter-hook.js';
import type { ScanFinding } from './outcome.js';
import { spamThresholdFor, type ScanPolicy } from './policy.js';
import { rspamdCheck, type RspamdReport } from './rspamd-client.js';
import { ADAPTER_SETTINGS } from './shared-settings.js';

function optionalHttpUrl(text: string): URL | undefined {
  if (!text) return undefined;
  const url = URL.canParse(text) ? new URL(text) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new Error('is not an http(s) URL; write e.g. http://127.0.0.1:11333 (the normal worker)');
  return url;
}

/** What rspamd's report means under the thresholds the account and its domain may set. */
function findingOf(report: RspamdReport, policy: ScanPolicy, message: PipelineMessage): ScanFinding {
  const threshold = spamThresholdFor(policy, report.requiredScore);
  const scored = { score: report.score, threshold, symbols: report.symbols };
  const summary = `score ${report.score} / ${threshold}, action ${report.action}`;
  const rspamdDecides = policy.spamThreshold === undefined;
  const scoreDecides = !rspamdDecides || policy.domainSpamThreshold !== undefined;
  if ((rspamdDecides && report.action === 'reject') || (scoreDecides && report.score >= threshold)) {
    return { verdict: 'spam', ...scored, reason: summary };
  }
  if (report.action === 'soft reject' || report.action === 'greylist') {
    return { verdict: 'spam', ...scored, temporary: true, reason: `rspamd asks to try again later (${summary})` };
  }
  if (report.action === 'reject' || report.action === 'add header' || report.action === 'rewrite subject') {
    const headers: [string, string][] = [['X-Spam', 'Yes'], ['X-Spam-Score', `${report.score} / ${scored.threshold}`]];
    const subject = report.action === 'rewrite subject' ? (report.subject ?? `[SPAM] ${message.headers.getFirst('subject')}`) : undefined;
    return { verdict: 'spam', ...scored, reason: summary, mark: { headers, ...(subject === undefined ? {} : { subject }) } };
  }
  return { verdict: 'clean', ...scored };
}

export default definePlugin({
  name: 'scan-rspamd',
  settings: {
    url: setting({ env: 'OUTPOST_SCAN_RSPAMD_URL', default: '', parse: optionalHttpUrl,
      doc: "rspamd's normal worker to check every message with POST /checkv2, e.g. http://127.0.0.1:11333; empty = off" }),
    ...ADAPTER_SETTINGS,
  },
  register(api) {
    const { url, timeoutMs, failOpen } = api.config;
    if (!url) return;
    addAdapterHook(api, { timeoutMs, failOpen, order: 30 }, async (message, signal, policy) => {
      const envelope = { id: message.id, from: message.from, recipients: message.deliverable.map((recipient) => recipient.address) };
      const report = await rspamdCheck(url, message.toBuffer(), envelope, signal);
      return findingOf(report, policy, message);
    });
  },
});
