/**
 * The primary of OUTPOST_WORKERS > 1: the one process that owns the spool. It
 * opens the spool and the store, recovers the queue, runs the scheduler and
 * every delivery (so per-destination limits hold for the whole instance), and
 * forks the workers (node:cluster), which take HTTP and SMTP on the shared
 * ports and run the pipeline. A worker hands each finished message here
 * (`commit`): the primary writes it in the next group-committed, fsynced batch
 * and answers the receipt, which the worker then acknowledges to its client.
 * It also answers the workers' store calls (embedded mode), status reads,
 * health and metrics, and runs every event listener. A worker that dies is
 * forked again in its slot; the primary's own death stops the workers (they
 * follow the IPC channel), and a restart recovers the spool as after any crash.
 */
import cluster, { type Worker } from 'node:cluster';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { OutpostConfig } from '../../config/index.js';
import type { Env } from '../../config/setting.js';
import { loadAdminKey } from '../accounts/admin-key.js';
import { assembleCore, startDelivery, type CoreParts } from '../assemble.js';
import type { EventName, OutpostEvents } from '../events.js';
import { createLogger } from '../log.js';
import type { QueuedMessage } from '../receive/queue.js';
import type { InboundEnvelope } from '../spool/inbound.js';
import type { Engagement } from '../status/engagement.js';
import type { RecipientReport } from '../status/report.js';
import { Spool } from '../spool/spool.js';
import type { MessageQuery } from '../status/types.js';
import { LevelSharedStore } from '../store/level-shared-store.js';
import { RedisSharedStore } from '../store/redis-shared-store.js';
import type { SharedStore } from '../store/shared-store.js';
import { loadTlsCertificate } from '../tls-certificate.js';
import { serveSharedStore, type StoreChange } from './ipc-shared-store.js';
import { RPC_TIMEOUT_MS, RpcChannel } from './rpc.js';

/** bin/outpost.ts: what each forked worker runs (it starts a worker when cluster.isWorker). */
const WORKER_SCRIPT = fileURLToPath(new URL('../../bin/outpost.ts', import.meta.url));
/** How often the workers are told the queue's size, for their queue guard. */
const QUEUE_SIZE_EVERY_MS = 250;
/** A worker that dies within this long of its start is forked again only after a pause (a crash loop must not spin). */
const QUICK_DEATH_MS = 10_000;

export interface PrimaryOptions {
  config: OutpostConfig;
  env?: Env;
  logger?: Logger;
  now?: () => number;
}

interface WorkerSlot {
  slot: number;
  worker: Worker;
  channel: RpcChannel;
  startedAt: number;
  /** Listener addresses the worker reported once it was ready. */
  addresses: Record<string, string> | undefined;
}

export class OutpostPrimary {
  private readonly slots = new Map<number, WorkerSlot>();
  private stopping: Promise<void> | undefined;
  private queueTicker: NodeJS.Timeout | undefined;
  private domainRecheck: NodeJS.Timeout | undefined;

  private constructor(private readonly core: CoreParts) {}

  get logger(): Logger {
    return this.core.logger;
  }

  /** Opens the spool, recovers the queue, starts delivering, forks the workers and waits until each listens. */
  static async start(options: PrimaryOptions): Promise<OutpostPrimary> {
    const { config } = options;
    const logger = options.logger ?? createLogger(config.logLevel);
    const now = options.now ?? Date.now;
    const spool = await Spool.open(path.join(config.dataDir, 'spool'));
    let store: SharedStore | undefined;
    let primary: OutpostPrimary | undefined;
    try {
      store = config.redisUrl ? await RedisSharedStore.connect(config.redisUrl, logger, config.redisNamespace) : new LevelSharedStore(spool.db, spool.committer);
      // made once here, before any worker starts, so workers read the same files instead of racing to create them
      await loadAdminKey(config.adminKey, config.dataDir, (key, file) => process.stderr.write(`outpost: generated the admin key (kept in ${file}, shown only now): ${key}\n`));
      // made once here, so the workers (submission and MX listeners) never race to generate it
      if (config.submissionPort !== 'off' || config.submissionTlsPort !== 'off' || config.mx.port !== 'off') await loadTlsCertificate(config, logger);
      await rm(path.join(config.dataDir, 'uploads'), { recursive: true, force: true });
      await mkdir(path.join(config.dataDir, 'uploads'), { recursive: true });
      const core = await assembleCore({ config, env: options.env ?? process.env, logger, now, spool, store, extraPlugins: [], omitBuiltinPlugins: [] });
      primary = new OutpostPrimary(core);
      primary.domainRecheck = await startDelivery(core);
      await primary.forkWorkers();
      logger.info({ workers: config.workers, listeners: primary.addresses(), dataDir: config.dataDir }, 'outpost started');
      return primary;
    } catch (error) {
      primary?.abandon();
      await primary?.core.scheduler.stop(0);
      await store?.close();
      await spool.close();
      throw error;
    }
  }

  /** A failed start: no worker is forked again, and those running are stopped now. */
  private abandon(): void {
    this.stopping ??= Promise.resolve();
    clearInterval(this.queueTicker);
    clearInterval(this.domainRecheck);
    for (const entry of this.slots.values()) entry.worker.process.kill('SIGTERM');
  }

  /** Forks every slot and resolves once each worker listens; the first that fails fails the start with its reason. */
  private async forkWorkers(): Promise<void> {
    cluster.setupPrimary({ exec: WORKER_SCRIPT, serialization: 'advanced' });
    await Promise.all(Array.from({ length: this.core.config.workers }, (_, index) => this.fork(index + 1)));
    this.queueTicker = setInterval(() => this.tellQueueSize(), QUEUE_SIZE_EVERY_MS);
    this.queueTicker.unref();
  }

  private fork(slot: number): Promise<void> {
    const worker = cluster.fork({ OUTPOST_WORKER_SLOT: String(slot) });
    const channel = new RpcChannel(worker, RPC_TIMEOUT_MS);
    const entry: WorkerSlot = { slot, worker, channel, startedAt: Date.now(), addresses: undefined };
    this.slots.set(slot, entry);
    this.serve(channel);
    const ready = new Promise<void>((resolve, reject) => {
      channel.onNotice<Record<string, string>>('ready', (addresses) => {
        entry.addresses = addresses;
        channel.notify('queue:size', this.core.scheduler.queuedCount);
        resolve();
      });
      channel.onNotice<string>('failed', (reason) => reject(new Error(reason)));
      worker.once('exit', (code, signal) => {
        reject(new Error(`worker ${slot} exited (${signal ?? code}) before it was ready`));
        this.workerExited(entry, code, signal);
      });
    });
    return ready;
  }

  /** What a worker may ask of the primary. */
  private serve(channel: RpcChannel): void {
    const { core } = this;
    channel.handle('commit', (message: QueuedMessage) => core.committer.commit({ ...message, raw: Buffer.from(message.raw.buffer, message.raw.byteOffset, message.raw.byteLength) }));
    channel.handle('status:get', (messageId: string) => core.status.get(messageId));
    channel.handle('status:list', (accountId: string, query: MessageQuery) => core.status.list(accountId, query));
    channel.handle('health:failing', () => [...core.spoolFailing(), ...this.missingWorkers()]);
    channel.handle('health:queue', () => core.queueSizes());
    channel.handle('metrics:text', () => this.metricsText());
    channel.handle('report:record', (report: RecipientReport) => core.reports.record(report));
    channel.handle('engagement:record', (engagement: Engagement) => core.reports.engage(engagement));
    channel.handle('inbound:store', (envelope: InboundEnvelope, raw: Uint8Array) => core.inboundStore.store(envelope, Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)));
    channel.onNotice<{ event: EventName; payload: OutpostEvents[EventName] }>('event', ({ event, payload }) => core.events.emit(event, payload));
    // with Redis every worker talks to it directly; the embedded store lives here
    if (!(core.store instanceof RedisSharedStore)) serveSharedStore(channel, core.store, (change) => this.broadcast('store:changed', change));
  }

  private broadcast(topic: string, payload: StoreChange | number): void {
    for (const { channel } of this.slots.values()) channel.notify(topic, payload);
  }

  private tellQueueSize(): void {
    this.broadcast('queue:size', this.core.scheduler.queuedCount);
  }

  /** Slots whose worker is not running and listening (for /health). */
  private missingWorkers(): string[] {
    const missing: string[] = [];
    for (let slot = 1; slot <= this.core.config.workers; slot++) {
      const entry = this.slots.get(slot);
      if (!entry || !entry.addresses || entry.worker.isDead()) missing.push(`worker-${slot}`);
    }
    return missing;
  }

  /** Every process's metrics summed (counters, histograms) or averaged as prom-client's aggregator says. */
  private async metricsText(): Promise<string> {
    const own = await this.core.metrics.registry.getMetricsAsJSON();
    type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];
    // a worker that does not answer (restarting) is left out of this scrape
    const workers = await Promise.all([...this.slots.values()].map((entry) => entry.channel.call<MetricsJson>('metrics:json').catch((): MetricsJson => [])));
    return AggregatorRegistry.aggregate([own, ...workers]).metrics();
  }

  private workerExited(entry: WorkerSlot, code: number | null, signal: string | null): void {
    entry.channel.close(`worker ${entry.slot} exited`);
    if (this.slots.get(entry.slot) === entry) this.slots.delete(entry.slot);
    if (this.stopping) return;
    const quick = Date.now() - entry.startedAt < QUICK_DEATH_MS;
    this.logger.error({ slot: entry.slot, pid: entry.worker.process.pid, code, signal }, `worker exited; forking it again${quick ? ' in 5 s' : ''}`);
    const again = setTimeout(() => {
      if (this.stopping) return;
      this.fork(entry.slot).catch((error: unknown) => this.logger.error({ err: error, slot: entry.slot }, 'worker could not be started again'));
    }, quick ? 5_000 : 0);
    again.unref();
  }

  /** `host:port` of each listener, as the workers report them (they share the ports). */
  addresses(): Record<string, string> {
    return Object.assign({}, ...[...this.slots.values()].map((entry) => entry.addresses ?? {}));
  }

  /** Recipients waiting in the queue (not counting attempts in progress). */
  get queuedRecipients(): number {
    return this.core.scheduler.queuedCount;
  }

  get activeDeliveries(): number {
    return this.core.scheduler.activeDeliveries;
  }

  /** The PIDs of the running workers, by slot. */
  workerPids(): Record<number, number | undefined> {
    return Object.fromEntries([...this.slots.values()].map((entry) => [entry.slot, entry.worker.process.pid]));
  }

  /** Reloads the TLS certificate in every worker (SIGHUP). */
  reloadTlsCertificate(): void {
    this.broadcast('tls:reload', 0);
  }

  /**
   * Graceful stop: the workers stop taking mail and finish what they hold (their
   * last messages still commit here), then deliveries in flight get their grace
   * period, then the spool closes. Calling it again returns the same promise.
   */
  stop(graceMs = this.core.config.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.shutDown(graceMs);
    return this.stopping;
  }

  private async shutDown(graceMs: number): Promise<void> {
    clearInterval(this.queueTicker);
    clearInterval(this.domainRecheck);
    this.logger.info({ graceMs }, 'stopping: workers finish what they hold, then deliveries in flight');
    await Promise.all(
      [...this.slots.values()].map(async (entry) => {
        const exited = new Promise<void>((resolve) => (entry.worker.isDead() ? resolve() : entry.worker.once('exit', () => resolve())));
        entry.channel.notify('stop', graceMs);
        const timer = setTimeout(() => entry.worker.process.kill('SIGKILL'), graceMs + 5_000);
        await exited;
        clearTimeout(timer);
      }),
    );
    await this.core.scheduler.stop(graceMs);
    await this.core.webhookSender.close();
    await this.core.status.close();
    await this.core.stats.close();
    await this.core.store.close();
    await this.core.spool.close();
    this.logger.info('stopped');
  }
}
