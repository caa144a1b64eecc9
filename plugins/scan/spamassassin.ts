/**
 * Scan plugin `scan-spamassassin`, off until OUTPOST_SCAN_SPAMD_ADDRESS names a
 * spamd: each message is checked over the SPAMC protocol, and a score at or
 * above the threshold (the account's spam_threshold, else
 * OUTPOST_SCAN_SPAM_THRESHOLD; the domain's when lower) refuses it as spam
 * (550 5.7.1 spam_detected).
 * A spamd that is down or slow defers (451 4.7.1 scanner_unavailable) unless
 * OUTPOST_SCAN_FAIL_OPEN. Messages larger than OUTPOST_SCAN_SPAMD_MAX_BYTES are
 * not sent and pass recorded as skipped, as spamc does with its -s limit.
 */
import { definePlugin, setting } from 'outpost/plugin';
import { addAdapterHook } from './adapter-hook.js';
import { spamThresholdFor } from './policy.js';
import { ADAPTER_SETTINGS, byteCount, parseDaemonAddress, parseScore } from './shared-settings.js';
import { spamdCheck } from './spamc-client.js';

export default definePlugin({
  name: 'scan-spamassassin',
  settings: {
    address: setting({ env: 'OUTPOST_SCAN_SPAMD_ADDRESS', default: '', parse: parseDaemonAddress,
      doc: 'SpamAssassin spamd to score every message: host:port (127.0.0.1:783) or a unix socket path; empty = off' }),
    threshold: setting({ env: 'OUTPOST_SCAN_SPAM_THRESHOLD', default: '5', parse: parseScore,
      doc: "SpamAssassin score at or above which a message is refused as spam (an account's spam_threshold replaces it; a domain's counts when lower)" }),
    maxBytes: setting({ env: 'OUTPOST_SCAN_SPAMD_MAX_BYTES', default: String(500 * 1024), parse: byteCount,
      doc: "largest message sent to spamd (spamc's default); larger ones pass unscored, recorded as skipped" }),
    ...ADAPTER_SETTINGS,
  },
  register(api) {
    const { address, threshold: defaultThreshold, maxBytes, timeoutMs, failOpen } = api.config;
    if (!address) return;
    addAdapterHook(api, { timeoutMs, failOpen, order: 40 }, async (message, signal, policy) => {
      const raw = message.toBuffer();
      if (raw.length > maxBytes) return { verdict: 'clean', skipped: `larger than OUTPOST_SCAN_SPAMD_MAX_BYTES (${maxBytes} bytes)` };
      const report = await spamdCheck(address, raw, signal);
      const threshold = spamThresholdFor(policy, defaultThreshold);
      const spam = report.score >= threshold;
      return {
        verdict: spam ? 'spam' : 'clean',
        score: report.score,
        threshold,
        symbols: report.symbols,
        ...(spam ? { reason: `score ${report.score} / ${threshold} (${report.symbols.slice(0, 5).join(', ')})` } : {}),
      };
    });
  },
});
