/**
 * Built-in scan plugin `scan-builtin`, on by default: the checks that need no
 * daemon. GTUBE in the text refuses as spam (550 5.7.1 spam_detected); the
 * EICAR test file, also inside archives (zip, gzip, tar, nested), as malware
 * (554 5.7.1 malware_detected); dangerous attachments (executables, scripts,
 * HTML forms, double extensions) and archives that cannot be opened within
 * the limits (zip bombs) as attachment_refused (554 5.7.1). The account's scan
 * settings, made stricter by its domain's (policy.ts), choose whether it runs
 * and the attachment policy; test mode reports instead of refusing. It never expands an archive
 * beyond its limits and never talks to the network.
 */
import { definePlugin, parse, setting } from 'outpost/plugin';
import { scanContent } from './content-scan.js';
import { scanReporter } from './outcome.js';
import { scannerRuns, scanPolicyOf } from './policy.js';
import { byteCount } from './shared-settings.js';

const MiB = 1024 * 1024;

function attachmentPolicy(text: string): 'refuse' | 'allow' {
  const policy = text.toLowerCase();
  if (policy !== 'refuse' && policy !== 'allow') throw new Error('is not an attachment policy; write refuse or allow');
  return policy;
}

export default definePlugin({
  name: 'scan-builtin',
  settings: {
    enabled: setting({ env: 'OUTPOST_SCAN_BUILTIN', default: 'true', parse: parse.boolean,
      doc: 'the built-in scanner: GTUBE, the EICAR test file (also inside archives), dangerous attachments, zip bombs; false turns it off' }),
    attachments: setting({ env: 'OUTPOST_SCAN_ATTACHMENTS', default: 'refuse', parse: attachmentPolicy,
      doc: 'dangerous attachments (executables, scripts, HTML with forms, double extensions like invoice.pdf.exe, encrypted archives): refuse or allow' }),
    archiveDepth: setting({ env: 'OUTPOST_SCAN_ARCHIVE_DEPTH', default: '5', parse: parse.count(1),
      doc: 'archive layers the built-in scanner opens (2: a file in a zip in a zip); deeper nesting is refused' }),
    archiveMaxBytes: setting({ env: 'OUTPOST_SCAN_ARCHIVE_MAX_BYTES', default: String(64 * MiB), parse: byteCount,
      doc: 'bytes the archives of one message may expand to in all; beyond, the message is refused (zip bombs); also bounds the memory a scan holds' }),
    archiveMaxRatio: setting({ env: 'OUTPOST_SCAN_ARCHIVE_MAX_RATIO', default: '200', parse: parse.count(2),
      doc: 'most bytes an archive entry over 1 MiB may expand to per compressed byte; beyond, the message is refused (zip bombs)' }),
    archiveMaxFiles: setting({ env: 'OUTPOST_SCAN_ARCHIVE_MAX_FILES', default: '1000', parse: parse.count(1),
      doc: 'files the archives of one message may hold in all; beyond, the message is refused' }),
  },
  register(api) {
    const config = api.config;
    if (!config.enabled) return;
    const reporter = scanReporter(api, { failOpen: false });
    const limits = { maxDepth: config.archiveDepth, maxExpandedBytes: config.archiveMaxBytes, maxRatio: config.archiveMaxRatio, maxFiles: config.archiveMaxFiles };

    api.addHook(
      'message:scan',
      async (message) => {
        const policy = await scanPolicyOf(api, message);
        if (!policy || !scannerRuns(policy, api.name)) return;
        const started = performance.now();
        const finding = await scanContent(message.toBuffer(), { limits, attachments: policy.attachments ?? config.attachments });
        return reporter.conclude(message, finding, started);
      },
      { order: 10 },
    );
  },
});
