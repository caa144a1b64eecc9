/**
 * The Outpost process: wires config, spool, status, plugins, the submission
 * pipeline and the delivery scheduler, and owns start-up and shutdown order.
 * Ports are bound before plugins load (a busy port fails fast); the queue is
 * recovered before delivery starts; on stop, submissions are refused first,
 * then in-flight deliveries get a bounded grace period, then the spool closes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { createHttpApp } from '../api/app.js';
import type { OutpostConfig } from '../config/index.js';
import { builtinPlugins } from '../plugins/index.js';
import { AccountService } from './accounts/accounts.js';
import { loadAdminKey } from './accounts/admin-key.js';
import { LevelSharedStore } from './state/level-shared-store.js';
import { RedisSharedStore } from './state/redis-shared-store.js';
import type { SharedStore } from './state/shared-store.js';
import { createDnsResolver } from './dns-resolver.js';
import { DomainService } from './domains/domains.js';
import { SecretBox } from './domains/secret-box.js';
import { ConnectionPool } from './delivery/connection-pool.js';
import { MxResolver } from './delivery/mx-resolver.js';
import { EventBus } from './events.js';
import { failingParts } from './health.js';
import { listen } from './listen.js';
import { createLogger } from './log.js';
import type { Submission } from './message.js';
import { OutpostMetrics, submissionResultOf, type QueueSizes } from './metrics.js';
import { DeliverStage } from './pipeline/deliver.js';
import { HookRegistry } from './pipeline/hooks.js';
import { Pipeline } from './pipeline/pipeline.js';
import type { Receipt } from './pipeline/queue.js';
import { importPlugin, registerPlugin, type OutpostPlugin } from './plugins.js';
import { Scheduler } from './scheduler/scheduler.js';
import { recoverQueue } from './spool/recover.js';
import { Spool } from './spool/spool.js';
import { SubmissionListeners } from './submission/listeners.js';
import { LevelStatusStore, type MessageStatusView, type StatusStore } from './status/status-store.js';

export interface OutpostOptions {
  config: OutpostConfig;
  logger?: Logger;
  /** Plugins registered after the built-ins and OUTPOST_PLUGINS (tests, embedding). */
  plugins?: OutpostPlugin[];
  /** The clock; tests may inject one. */
  now?: () => number;
}

export class Outpost {
  readonly events: EventBus;
  private httpServer: http.Server | undefined;
  private submissionListeners: SubmissionListeners | undefined;
  private stopping: Promise<void> | undefined;
  private domainRecheck: NodeJS.Timeout | undefined;

  private constructor(
    readonly config: OutpostConfig,
    readonly logger: Logger,
    private readonly spool: Spool,
    private readonly status: StatusStore,
    private readonly pipeline: Pipeline,
    private readonly scheduler: Scheduler,
    events: EventBus,
    readonly accounts: AccountService,
    private readonly store: SharedStore,
    private readonly metrics: OutpostMetrics,
    readonly domains: DomainService,
  ) {
    this.events = events;
  }

  static async start(options: OutpostOptions): Promise<Outpost> {
    const { config } = options;
    const logger = options.logger ?? createLogger(config.logLevel);
    const now = options.now ?? Date.now;

    const httpServer = config.httpPort === 'off' ? undefined : http.createServer();
    if (httpServer && config.httpPort !== 'off') await listen(httpServer, config.httpHost, config.httpPort, 'OUTPOST_HTTP_PORT');

    let submissionListeners: SubmissionListeners | undefined;
    let spool: Spool | undefined;
    let store: SharedStore | undefined;
    try {
      // bound now like HTTP, so a busy port fails the start at once; they take mail only after serve() below
      submissionListeners = await SubmissionListeners.bind(config, logger, now);
      spool = await Spool.open(path.join(config.dataDir, 'spool'));
      const status = new LevelStatusStore(spool.db);
      const events = new EventBus(logger);
      const hooks = new HookRegistry(config.hookTimeoutMs);
      const metrics = new OutpostMetrics();
      metrics.watchEvents(events);
      hooks.onHookTimed = (timing) => metrics.hookTimed(timing);
      spool.committer.onBatchWritten = (milliseconds, writes) => metrics.spoolBatchWritten(milliseconds, writes);
      spool.committer.onBatchFailed = () => metrics.spoolBatchFailed();
      store = config.redisUrl
        ? await RedisSharedStore.connect(config.redisUrl, logger, config.redisNamespace)
        : new LevelSharedStore(spool.db, spool.committer);
      const accounts = new AccountService(store, now);
      const adminKey = await loadAdminKey(config.adminKey, config.dataDir, (key, file) => {
        process.stderr.write(`outpost: generated the admin key (kept in ${file}, shown only now): ${key}\n`);
      });
      const domains = new DomainService({
        store,
        box: await SecretBox.load(config.secretKey, config.dataDir),
        resolver: createDnsResolver(config.dnsServers),
        identity: { hostname: config.hostname, sendingIps: config.sendingIps },
        events,
        logger,
        now,
      });

      for (const plugin of [...builtinPlugins({ domains }), ...(await Promise.all(config.plugins.map(importPlugin))), ...(options.plugins ?? [])]) {
        await registerPlugin(plugin, { hooks, events, config, logger });
      }

      const policy = { scheduleMs: config.delivery.retryScheduleMs, maxQueueTimeMs: config.delivery.maxQueueTimeMs };
      const deliver = new DeliverStage({
        hooks,
        resolver: new MxResolver({ dnsServers: config.dnsServers, allowPrivateTargets: config.delivery.allowPrivateTargets, cacheMs: config.delivery.mxCacheMs, now }),
        spool,
        pool: new ConnectionPool(config.delivery),
        settings: { ...config.delivery, hostname: config.hostname },
        now,
        logger,
      });
      const scheduler = new Scheduler({ spool, status, events, deliver, policy, limits: config.delivery, now, logger });
      const pipeline = new Pipeline({ hooks, spool, status, events, bodyChunkBytes: config.spool.bodyChunkBytes, maxMessageBytes: config.spool.maxMessageBytes, now, logger });

      const recovered = await recoverQueue(spool, logger);
      for (const { messageId, reason } of recovered.quarantined) events.emit('spool:quarantined', { messageId, reason, at: now() });
      spool.onQueued((recipients) => scheduler.add(recipients));
      scheduler.add(recovered.recipients);
      scheduler.start();
      logger.info({ recovered: recovered.recipients.length, quarantined: recovered.quarantined.length }, 'queue recovered');

      const outpost = new Outpost(config, logger, spool, status, pipeline, scheduler, events, accounts, store, metrics, domains);
      outpost.domainRecheck = setInterval(() => void outpost.reverifyDomains(), config.domainRecheckIntervalMs);
      outpost.domainRecheck.unref();
      metrics.watchQueue(() => outpost.queueSizes());
      if (httpServer) {
        const app = createHttpApp({
          config,
          logger,
          accounts,
          domains,
          adminKey,
          store,
          submit: (submission) => outpost.submit(submission),
          getMessage: (messageId) => outpost.getMessage(messageId),
          listMessages: (accountId, query) => status.list(accountId, query),
          queuedRecipients: () => outpost.queuedRecipients,
          failingParts: () => outpost.failingParts(),
          queueSizes: () => outpost.queueSizes(),
          metricsText: () => metrics.text(),
          metricsContentType: metrics.contentType,
        });
        httpServer.on('request', app.callback());
        outpost.httpServer = httpServer;
      }
      submissionListeners.serve({ accounts, domains, submit: (submission) => outpost.submit(submission) });
      outpost.submissionListeners = submissionListeners;
      logger.info(
        { http: httpServer ? outpost.httpAddress : 'off', submission: outpost.submissionAddress ?? 'off', submissionTls: outpost.submissionTlsAddress ?? 'off', dataDir: config.dataDir },
        'outpost started',
      );
      return outpost;
    } catch (error) {
      httpServer?.close();
      await submissionListeners?.close(0);
      await store?.close();
      await spool?.close();
      throw error;
    }
  }

  /** Checks every verified domain's records again (also run every OUTPOST_DOMAIN_RECHECK_INTERVAL). */
  reverifyDomains(): Promise<void> {
    return this.domains.reverifyAll();
  }

  /** Runs a message through the pipeline; resolves once it is durably queued. */
  async submit(submission: Submission): Promise<Receipt> {
    try {
      const receipt = await this.pipeline.submit(submission);
      this.metrics.submission(submission.source, 'accepted');
      return receipt;
    } catch (error) {
      this.metrics.submission(submission.source, submissionResultOf(error));
      throw error;
    }
  }

  /** Status, recipients and event log of one message. */
  getMessage(messageId: string): Promise<MessageStatusView | undefined> {
    return this.status.get(messageId);
  }

  /** Parts that are down (for /health): enabled listeners not listening, a spool that is closed or cannot write. */
  failingParts(): string[] {
    return failingParts({
      listeners: { http: this.httpServer, ...this.submissionListeners?.health() },
      spool: { open: this.spool.db.status === 'open', writesFailing: this.spool.committer.failing },
    });
  }

  /** Recipients waiting, by state, and delivery attempts in progress. */
  queueSizes(): QueueSizes {
    return { ...this.scheduler.countByState(), deliveriesInFlight: this.scheduler.activeDeliveries };
  }

  /** Recipients waiting in the queue (not counting attempts in progress). */
  get queuedRecipients(): number {
    return this.scheduler.queuedCount;
  }

  get activeDeliveries(): number {
    return this.scheduler.activeDeliveries;
  }

  /** `host:port` the HTTP listener is bound to (port 0 resolved). */
  get httpAddress(): string | undefined {
    const address = this.httpServer?.address() as AddressInfo | null | undefined;
    return address ? `${address.address}:${address.port}` : undefined;
  }

  /** `host:port` of the SMTP submission listener (587, STARTTLS); undefined when off. */
  get submissionAddress(): string | undefined {
    return this.submissionListeners?.address('submission');
  }

  /** `host:port` of the SMTP submission listener with implicit TLS (465); undefined when off. */
  get submissionTlsAddress(): string | undefined {
    return this.submissionListeners?.address('submission_tls');
  }

  /** Reads OUTPOST_TLS_CERT/KEY (or the generated certificate) again for new SMTP connections (SIGHUP); the listeners stay open. */
  async reloadTlsCertificate(): Promise<void> {
    await this.submissionListeners?.reloadCertificate();
  }

  /** Graceful stop; calling it again returns the same promise. */
  stop(graceMs = this.config.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.shutDown(graceMs);
    return this.stopping;
  }

  private async shutDown(graceMs: number): Promise<void> {
    clearInterval(this.domainRecheck);
    this.logger.info({ graceMs }, 'stopping: no new submissions, finishing deliveries in flight');
    // SMTP first: no new connections, idle sessions told 421 now, transactions in progress finish or get 421
    const smtpClosed = this.submissionListeners?.close(graceMs);
    const submissionsDone = this.pipeline.drain();
    const httpClosed = new Promise<void>((resolve) => (this.httpServer ? this.httpServer.close(() => resolve()) : resolve()));
    this.httpServer?.closeIdleConnections();
    await submissionsDone;
    await this.scheduler.stop(graceMs);
    this.httpServer?.closeAllConnections();
    await httpClosed;
    await smtpClosed;
    await this.store.close();
    await this.spool.close();
    this.logger.info('stopped');
  }
}
