/**
 * `outpost serve` (and `npm start`): runs Outpost with the defaults of
 * config/settings.ts overridden by OUTPOST_* variables. With OUTPOST_WORKERS=1
 * everything runs in this process; with more, this process becomes the
 * primary (spool, scheduler, delivery) and forks the workers, which run
 * bin/outpost.ts and come here too (cluster.isWorker) to take HTTP and SMTP
 * (core/workers/). A start-up failure (bad setting, busy port, locked data
 * dir) prints one line naming the fix and exits 1; SIGTERM/SIGINT stop
 * gracefully; SIGHUP reloads the TLS certificate of the SMTP listeners.
 */
import cluster from 'node:cluster';
import { loadConfig } from '../config/index.js';
import { isOutpostError } from '../core/errors.js';
import { Outpost } from '../core/server.js';
import { OutpostPrimary } from '../core/workers/primary.js';
import { OutpostWorker } from '../core/workers/worker.js';
import type { IpcPort } from '../core/workers/rpc.js';

/** What the signal handlers need of whichever runs here. */
interface Running {
  logger: { info(details: object, message: string): void; warn(details: object, message: string): void; error(details: object, message: string): void };
  stop(): Promise<void>;
  reloadTlsCertificate(): Promise<void> | void;
}

async function start(): Promise<Running> {
  const config = loadConfig();
  if (cluster.isWorker) return OutpostWorker.start({ config, port: process as unknown as IpcPort, slot: Number(process.env.OUTPOST_WORKER_SLOT ?? cluster.worker!.id) });
  if (config.workers > 1) return OutpostPrimary.start({ config });
  return Outpost.start({ config });
}

async function main(): Promise<void> {
  const running = await start();
  let signals = 0;
  const stop = (signal: string): void => {
    if (++signals > 1) {
      running.logger.warn({ signal }, 'second signal: exiting now (queued mail stays in the spool)');
      process.exit(1);
    }
    running.logger.info({ signal }, 'signal received');
    running.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        running.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // a renewed certificate is picked up without a restart; a bad one is refused and the old one kept
  process.on('SIGHUP', () => {
    Promise.resolve(running.reloadTlsCertificate()).catch((error: unknown) => running.logger.error({ err: error }, 'TLS certificate reload failed; the previous certificate stays in use'));
  });
}

/** Starts the server (a worker, the primary, or everything in one process); a failure to start exits 1. */
export async function serve(): Promise<void> {
  try {
    await main();
  } catch (error) {
    const message = isOutpostError(error) ? error.message : (error as Error)?.stack ?? String(error);
    // a worker's start failure is told to the primary, which prints it once for the whole instance
    if (!cluster.isWorker) process.stderr.write(`outpost: ${message}\n`);
    process.exit(1);
  }
}
