/**
 * Scan plugin `scan-clamav`, off until OUTPOST_SCAN_CLAMD_ADDRESS names a clamd
 * (host:port or a unix socket): each message is streamed to clamd with
 * INSTREAM, and `stream: <signature> FOUND` refuses it as malware (554 5.7.1
 * malware_detected). A clamd that is down or slow defers (451 4.7.1
 * scanner_unavailable) unless OUTPOST_SCAN_FAIL_OPEN. Messages larger than
 * OUTPOST_SCAN_CLAMD_MAX_BYTES are not sent (clamd would refuse them) and pass
 * recorded as skipped, as clamav-milter's MaxFileSize does; the built-in scanner still sees them.
 */
import { definePlugin, setting } from 'outpost/plugin';
import { addAdapterHook } from './adapter-hook.js';
import { clamdScan } from './clamd-client.js';
import { ADAPTER_SETTINGS, byteCount, parseDaemonAddress } from './shared-settings.js';

export default definePlugin({
  name: 'scan-clamav',
  settings: {
    address: setting({ env: 'OUTPOST_SCAN_CLAMD_ADDRESS', default: '', parse: parseDaemonAddress,
      doc: 'clamd to scan every message for malware: host:port (127.0.0.1:3310) or a unix socket path (/run/clamav/clamd.ctl); empty = off' }),
    maxBytes: setting({ env: 'OUTPOST_SCAN_CLAMD_MAX_BYTES', default: String(25 * 1024 * 1024), parse: byteCount,
      doc: "largest message sent to clamd (keep it at most clamd's StreamMaxLength, 25M by default); larger ones pass unscanned by clamd, recorded as skipped" }),
    ...ADAPTER_SETTINGS,
  },
  register(api) {
    const { address, maxBytes, timeoutMs, failOpen } = api.config;
    if (!address) return;
    addAdapterHook(api, { timeoutMs, failOpen, order: 20 }, async (message, signal) => {
      const raw = message.toBuffer();
      if (raw.length > maxBytes) return { verdict: 'clean', skipped: `larger than OUTPOST_SCAN_CLAMD_MAX_BYTES (${maxBytes} bytes)` };
      const { virus } = await clamdScan(address, raw, signal);
      return virus === undefined ? { verdict: 'clean' } : { verdict: 'malware', virus, symbols: [virus], reason: virus };
    });
  },
});
