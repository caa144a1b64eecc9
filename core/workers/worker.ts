/**
 * One worker of OUTPOST_WORKERS > 1, forked by the primary (core/workers/primary.ts):
 * it takes HTTP and SMTP on the ports the workers share (node:cluster hands
 * each new connection to one of them), runs the pipeline (validation, scan,
 * DKIM signing and every plugin hook of those stages) on its own core, and hands
 * the finished message to the primary, which writes it to the spool; the 200 or
 * 250 goes out only once the primary has answered that the write is fsynced.
 * Status, health and metrics are the primary's; the embedded store is too
 * (through IpcSharedStore), Redis is shared directly. When the primary goes
 * away the worker stops at once: nothing it holds was acknowledged.
 */
import type { Logger } from 'pino';
import type { OutpostConfig } from '../../config/index.js';
import type { Env } from '../../config/setting.js';
import { loadAdminKey } from '../accounts/admin-key.js';
import { assembleWorker, bindFrontEnds, type PrimaryLink, type WorkerParts } from '../assemble.js';
import type { FrontEnd } from '../intake.js';
import { createLogger } from '../log.js';
import type { QueueSizes } from '../metrics.js';
import type { Receipt } from '../receive/queue.js';
import type { ReportResult } from '../status/report.js';
import type { MessagePage, MessageStatusView } from '../status/types.js';
import { RedisSharedStore } from '../store/redis-shared-store.js';
import type { SharedStore } from '../store/shared-store.js';
import { IpcSharedStore } from './ipc-shared-store.js';
import { RPC_TIMEOUT_MS, RpcChannel, type IpcPort } from './rpc.js';

export interface WorkerStartOptions {
  config: OutpostConfig;
  env?: Env;
  logger?: Logger;
  now?: () => number;
  /** The IPC channel to the primary (the process itself, in a cluster worker). */
  port: IpcPort;
  /** Slot 1..OUTPOST_WORKERS, given by the primary in OUTPOST_WORKER_SLOT. */
  slot: number;
}

export class OutpostWorker {
  private stopping: Promise<void> | undefined;

  private constructor(
    readonly logger: Logger,
    private readonly parts: WorkerParts,
    private readonly frontEnds: readonly FrontEnd[],
    private readonly store: SharedStore,
    private readonly config: OutpostConfig,
  ) {}

  static async start(options: WorkerStartOptions): Promise<OutpostWorker> {
    const { config, slot } = options;
    const logger = (options.logger ?? createLogger(config.logLevel)).child({ worker: slot });
    const now = options.now ?? Date.now;
    const channel = new RpcChannel(options.port, RPC_TIMEOUT_MS);
    let frontEnds: FrontEnd[] = [];
    let store: SharedStore | undefined;
    try {
      frontEnds = await bindFrontEnds(config, logger);
      // the primary made the key file before forking; this only reads it
      const adminKey = await loadAdminKey(config.adminKey, config.dataDir, () => undefined);
      store = config.redisUrl ? await RedisSharedStore.connect(config.redisUrl, logger, config.redisNamespace) : new IpcSharedStore(channel);
      let queued = 0;
      channel.onNotice<number>('queue:size', (size) => (queued = size));
      const primary: PrimaryLink = {
        committer: { commit: (message) => channel.call<Receipt>('commit', message) },
        forwardEvent: (event, payload) => void channel.notify('event', { event, payload }),
        getMessage: (messageId) => channel.call<MessageStatusView | undefined>('status:get', messageId),
        listMessages: (accountId, query) => channel.call<MessagePage>('status:list', accountId, query),
        failingParts: () => channel.call<string[]>('health:failing'),
        queueSizes: () => channel.call<QueueSizes>('health:queue'),
        queuedRecipients: () => queued,
        metricsText: () => channel.call<string>('metrics:text'),
        recordReport: (report) => channel.call<ReportResult>('report:record', report),
        recordEngagement: (engagement) => channel.call<ReportResult>('engagement:record', engagement),
        storeInbound: (envelope, raw) => channel.call<void>('inbound:store', envelope, raw),
      };
      const parts = await assembleWorker({ config, env: options.env ?? process.env, logger, now, store, extraPlugins: [], omitBuiltinPlugins: [], adminKey, frontEnds, primary, slot });
      const worker = new OutpostWorker(logger, parts, frontEnds, store, config);
      channel.handle('metrics:json', () => parts.metrics.registry.getMetricsAsJSON());
      channel.onNotice<number>('stop', (graceMs) => void worker.stop(graceMs).then(() => process.exit(0)));
      channel.onNotice('tls:reload', () => void worker.reloadTlsCertificate());
      options.port.on('disconnect', () => worker.abort());
      for (const frontEnd of frontEnds) frontEnd.serve(parts.intake);
      channel.notify('ready', worker.addresses());
      logger.info({ listeners: worker.addresses() }, 'worker started');
      return worker;
    } catch (error) {
      channel.notify('failed', (error as Error).message);
      await Promise.all(frontEnds.map((frontEnd) => frontEnd.close(0)));
      await store?.close();
      throw error;
    }
  }

  /** `host:port` of each listener (the ports every worker shares). */
  addresses(): Record<string, string> {
    const addresses: Record<string, string> = {};
    for (const frontEnd of this.frontEnds) {
      for (const [name, server] of Object.entries(frontEnd.listeners)) {
        const address = server?.address();
        if (address && typeof address === 'object') addresses[name] = `${address.address}:${address.port}`;
      }
    }
    return addresses;
  }

  async reloadTlsCertificate(): Promise<void> {
    for (const frontEnd of this.frontEnds) {
      await frontEnd.reloadCertificate?.().catch((error: unknown) => this.logger.error({ err: error }, 'TLS certificate reload failed; the previous certificate stays in use'));
    }
  }

  /** Stops taking mail; what is in the pipeline finishes (its commits are still answered by the primary). */
  stop(graceMs = this.config.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.shutDown(graceMs);
    return this.stopping;
  }

  private async shutDown(graceMs: number): Promise<void> {
    const closed = Promise.all(this.frontEnds.map((frontEnd) => frontEnd.close(graceMs)));
    await this.parts.pipeline.drain();
    for (const frontEnd of this.frontEnds) frontEnd.cut();
    await closed;
    await this.store.close();
  }

  /** The primary is gone: every connection is cut now and the process ends; nothing unanswered was acknowledged. */
  abort(): void {
    this.logger.error('the primary went away; stopping this worker');
    for (const frontEnd of this.frontEnds) frontEnd.cut();
    process.exit(1);
  }
}
