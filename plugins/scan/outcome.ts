/**
 * What a scanner's finding means for the message, the same for every scan
 * plugin: spam is refused 550 5.7.1 (spam_detected), malware 554 5.7.1
 * (malware_detected), a dangerous attachment or an archive that cannot be
 * checked 554 5.7.1 (attachment_refused); a scanner that is down or too slow
 * defers 451 4.7.1 (scanner_unavailable), or with fail-open lets the message
 * pass with `X-Outpost-Scan: <scanner> unavailable`. In test mode every finding
 * is reported and nothing is refused. Every verdict, clean ones too, goes to
 * `message.scans` (the `scanned` events of the message log) and to the
 * plugin's metrics; refusals are logged. It never lets a finding pass unrecorded.
 */
import { verdict, type PipelineMessage, type PluginApi, type ScanDetails, type Verdict } from 'outpost/plugin';

/** A scanner's answer about one message, before policy (test mode, fail-open) is applied. */
export interface ScanFinding {
  verdict: ScanDetails['verdict'];
  /** One line for the sender: what was found, or why the scanner could not answer. */
  reason?: string;
  score?: number;
  threshold?: number;
  symbols?: string[];
  virus?: string;
  /** Spam the scanner asks to be retried later (rspamd soft reject, greylist): 451, not a refusal. */
  temporary?: boolean;
  /** Spam the scanner lets through marked (rspamd add header, rewrite subject): headers to add, a new Subject. */
  mark?: { headers: [name: string, value: string][]; subject?: string };
  /** The message was not scanned, and why (larger than the daemon takes); it passes. */
  skipped?: string;
}

export interface ScanReporter {
  /** Records `finding` (started at `startedMs`, performance.now()) and answers the hook's verdict. */
  conclude(message: PipelineMessage, finding: ScanFinding, startedMs: number): Verdict;
}

/** Replies are one line: control characters (a file name's CR LF) become spaces, and long texts are cut. */
function oneLine(text: string): string {
  const flat = text.replace(/[\p{Cc}\u2028\u2029]+/gu, ' ');
  return flat.length > 300 ? `${flat.slice(0, 297)}...` : flat;
}

export function scanReporter(api: Pick<PluginApi, 'name' | 'metrics' | 'logger'>, options: { failOpen: boolean }): ScanReporter {
  const scanner = api.name;
  const verdicts = api.metrics.counter('verdicts_total', `messages scanned by ${scanner}, by verdict and what was done`, ['verdict', 'action']);
  const seconds = api.metrics.histogram('scan_seconds', `time ${scanner} took per message`, { buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });

  /** The hook's answer and the words the message log keeps for it. */
  function decide(message: PipelineMessage, finding: ScanFinding): { action: string; answer: Verdict } {
    const reason = oneLine(finding.reason ?? finding.verdict);
    if (finding.skipped) return { action: `skipped: ${finding.skipped}`, answer: verdict.continue() };
    if (finding.verdict === 'clean') return { action: 'none', answer: verdict.continue() };
    if (message.options.testMode) return { action: 'reported (test mode)', answer: verdict.continue() };
    if (finding.verdict === 'unavailable') {
      if (!options.failOpen) return { action: 'deferred', answer: verdict.defer(451, '4.7.1', `${scanner} is unavailable (${reason}); try again later`, 'scanner_unavailable') };
      message.headers.add('X-Outpost-Scan', `${scanner} unavailable`);
      return { action: 'passed (fail open)', answer: verdict.continue() };
    }
    if (finding.mark) {
      for (const [name, value] of finding.mark.headers) message.headers.add(name, oneLine(value));
      if (finding.mark.subject !== undefined) message.headers.update('Subject', oneLine(finding.mark.subject));
      return { action: 'marked', answer: verdict.continue() };
    }
    if (finding.temporary) return { action: 'deferred', answer: verdict.defer(451, '4.7.1', `${scanner}: ${reason}; try again later`, 'message_deferred') };
    if (finding.verdict === 'spam') return { action: 'refused', answer: verdict.reject(550, '5.7.1', `message refused as spam by ${scanner}: ${reason}`, 'spam_detected') };
    if (finding.verdict === 'malware') return { action: 'refused', answer: verdict.reject(554, '5.7.1', `message refused: ${scanner} found malware (${reason})`, 'malware_detected') };
    return { action: 'refused', answer: verdict.reject(554, '5.7.1', `message refused by ${scanner}: ${reason}`, 'attachment_refused') };
  }

  return {
    conclude(message, finding, startedMs) {
      const { action, answer } = decide(message, finding);
      const details: ScanDetails = {
        scanner,
        verdict: finding.verdict,
        ...(finding.score === undefined ? {} : { score: finding.score }),
        ...(finding.threshold === undefined ? {} : { threshold: finding.threshold }),
        ...(finding.symbols?.length ? { symbols: finding.symbols } : {}),
        ...(finding.virus === undefined ? {} : { virus: finding.virus }),
        action,
      };
      message.scans.push(details);
      verdicts.inc({ verdict: finding.verdict, action: action.split(/[\s:]/)[0]! });
      seconds.observe((performance.now() - startedMs) / 1000);
      if (answer.action !== 'continue') {
        api.logger.info({ messageId: message.id, accountId: message.accountId, ...details, reason: finding.reason }, `message ${answer.action === 'reject' ? 'refused' : 'deferred'} by ${scanner}`);
      } else if (finding.verdict !== 'clean') {
        api.logger.info({ messageId: message.id, accountId: message.accountId, ...details, reason: finding.reason }, `${scanner}: ${finding.verdict}, message passed (${action})`);
      }
      return answer;
    },
  };
}
