#!/usr/bin/env -S npx tsx
/**
 * `npm start`: runs Outpost with the defaults of config/settings.ts overridden by OUTPOST_*
 * variables. A start-up failure (bad setting, busy port, locked data dir)
 * prints one line naming the fix and exits 1; SIGTERM/SIGINT stop gracefully;
 * SIGHUP reloads the TLS certificate of the SMTP listeners.
 */
import { loadConfig } from '../config/index.js';
import { isOutpostError } from '../core/errors.js';
import { Outpost } from '../core/server.js';

async function main(): Promise<void> {
  const outpost = await Outpost.start({ config: loadConfig() });
  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) {
      outpost.logger.warn({ signal }, 'second signal: exiting now (queued mail stays in the spool)');
      process.exit(1);
    }
    outpost.logger.info({ signal }, 'signal received');
    outpost.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        outpost.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // a renewed certificate is picked up without a restart; a bad one is refused and the old one kept
  process.on('SIGHUP', () => {
    outpost.reloadTlsCertificate().catch((error: unknown) => outpost.logger.error({ err: error }, 'TLS certificate reload failed; the previous certificate stays in use'));
  });
}

main().catch((error: unknown) => {
  const message = isOutpostError(error) ? error.message : (error as Error)?.stack ?? String(error);
  process.stderr.write(`outpost: ${message}\n`);
  process.exit(1);
});
