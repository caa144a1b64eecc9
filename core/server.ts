/**
 * The Outpost process: opens the spool and shared store, has core/assemble.ts
 * build the parts on them, and owns start-up and shutdown order.
 * Ports are bound before plugins load (a busy port fails fast); the queue is
 * recovered before delivery starts; on stop, submissions are refused first,
 * then in-flight deliveries get a bounded grace period, then the spool closes.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import { createHttpApp } from '../api/http/app.js';
import type { OutpostConfig } from '../config/index.js';
import type { AccountService } from './accounts/accounts.js';
import { loadAdminKey } from './accounts/admin-key.js';
import { assembleParts, type OutpostParts } from './assemble.js';
import type { DomainService } from './domains/domains.js';
import type { EventBus } from './events.js';
import { failingParts } from './health.js';
import { listen } from './listen.js';
import { createLogger } from './log.js';
import type { Submission } from './message.js';
import { submissionResultOf, type QueueSizes } from './metrics.js';
import type { Receipt } from './receive/queue.js';
import type { OutpostPlugin } from './plugins/registry.js';
import { recoverQueue } from './spool/recover.js';
import { Spool } from './spool/spool.js';
import { LevelSharedStore } from './store/level-shared-store.js';
import { RedisSharedStore } from './store/redis-shared-store.js';
import type { SharedStore } from './store/shared-store.js';
import { AuthThrottle } from './accounts/auth-throttle.js';
import { SubmissionListeners } from '../api/smtp/listeners.js';
import type { MessageStatusView } from './status/status-store.js';

export interface OutpostOptions {
  config: OutpostConfig;
  logger?: Logger;
  /** Plugins registered after the built-ins and OUTPOST_PLUGINS (tests, embedding). */
  plugins?: OutpostPlugin[];
  /**
   * Built-in plugins to leave out, by name (an unknown name fails the start). For
   * embedders whose own code takes over a built-in's job, e.g. a relay downstream
   * that signs, and for the benchmarks' unsigned runs. Leaving out
   * `sender-domain` lets accounts send from domains they have not verified.
   */
  omitBuiltinPlugins?: string[];
  /** The clock; tests may inject one. */
  now?: () => number;
}

export class Outpost {
  readonly config: OutpostConfig;
  readonly events: EventBus;
  readonly logger: Logger;
  readonly accounts: AccountService;
  readonly domains: DomainService;
  private httpServer: http.Server | undefined;
  private submissionListeners: SubmissionListeners | undefined;
  private stopping: Promise<void> | undefined;
  private domainRecheck: NodeJS.Timeout | undefined;

  private constructor(private readonly parts: OutpostParts) {
    ({ config: this.config, events: this.events, logger: this.logger, accounts: this.accounts, domains: this.domains } = parts);
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
      submissionListeners = await SubmissionListeners.bind(config, logger);
      spool = await Spool.open(path.join(config.dataDir, 'spool'));
      store = config.redisUrl
        ? await RedisSharedStore.connect(config.redisUrl, logger, config.redisNamespace)
        : new LevelSharedStore(spool.db, spool.committer);
      const adminKey = await loadAdminKey(config.adminKey, config.dataDir, (key, file) => {
        process.stderr.write(`outpost: generated the admin key (kept in ${file}, shown only now): ${key}\n`);
      });
      const outpost = new Outpost(await assembleParts({ config, logger, now, spool, store, extraPlugins: options.plugins ?? [], omitBuiltinPlugins: options.omitBuiltinPlugins ?? [] }));
      await outpost.startDelivery();
      if (httpServer) outpost.serveHttp(httpServer, adminKey);
      submissionListeners.serve({
        accounts: outpost.accounts,
        domains: outpost.domains,
        submit: (submission) => outpost.submit(submission),
        queuedRecipients: () => outpost.queuedRecipients,
        throttle: new AuthThrottle(config.submission.authThrottle, store, now),
      });
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

  /** Recovers the queue from the spool, then hands it and every later submission to the scheduler. */
  private async startDelivery(): Promise<void> {
    const { spool, scheduler, events, metrics, config, logger, now } = this.parts;
    const recovered = await recoverQueue(spool, logger);
    for (const { messageId, reason } of recovered.quarantined) events.emit('spool:quarantined', { messageId, reason, at: now() });
    spool.onQueued((recipients) => scheduler.add(recipients));
    scheduler.add(recovered.recipients);
    scheduler.start();
    logger.info({ recovered: recovered.recipients.length, quarantined: recovered.quarantined.length }, 'queue recovered');
    this.domainRecheck = setInterval(() => void this.reverifyDomains(), config.domainRecheckIntervalMs);
    this.domainRecheck.unref();
    metrics.watchQueue(() => this.queueSizes());
  }

  private serveHttp(httpServer: http.Server, adminKey: string): void {
    const { config, logger, accounts, domains, suppressions, webhooks, store, status, metrics } = this.parts;
    const app = createHttpApp({
      config,
      logger,
      accounts,
      domains,
      suppressions,
      webhooks,
      adminKey,
      store,
      submit: (submission) => this.submit(submission),
      getMessage: (messageId) => this.getMessage(messageId),
      listMessages: (accountId, query) => status.list(accountId, query),
      queuedRecipients: () => this.queuedRecipients,
      failingParts: () => this.failingParts(),
      queueSizes: () => this.queueSizes(),
      metricsText: () => metrics.text(),
      metricsContentType: metrics.contentType,
    });
    httpServer.on('request', app.callback());
    this.httpServer = httpServer;
  }

  /** Checks every verified domain's records again (also run every OUTPOST_DOMAIN_RECHECK_INTERVAL). */
  reverifyDomains(): Promise<void> {
    return this.domains.reverifyAll();
  }

  /** Runs a message through the pipeline; resolves once it is durably queued. */
  async submit(submission: Submission): Promise<Receipt> {
    try {
      const receipt = await this.parts.pipeline.submit(submission);
      this.parts.metrics.submission(submission.source, 'accepted');
      return receipt;
    } catch (error) {
      this.parts.metrics.submission(submission.source, submissionResultOf(error));
      throw error;
    }
  }

  /** Status, recipients and event log of one message. */
  getMessage(messageId: string): Promise<MessageStatusView | undefined> {
    return this.parts.status.get(messageId);
  }

  /** Parts that are down (for /health): enabled listeners not listening, a spool that is closed or cannot write. */
  failingParts(): string[] {
    return failingParts({
      listeners: { http: this.httpServer, ...this.submissionListeners?.health() },
      spool: { open: this.parts.spool.db.status === 'open', writesFailing: this.parts.spool.committer.failing },
    });
  }

  /** Recipients waiting, by state, and delivery attempts in progress. */
  queueSizes(): QueueSizes {
    return { ...this.parts.scheduler.countByState(), deliveriesInFlight: this.parts.scheduler.activeDeliveries };
  }

  /** Recipients waiting in the queue (not counting attempts in progress). */
  get queuedRecipients(): number {
    return this.parts.scheduler.queuedCount;
  }

  get activeDeliveries(): number {
    return this.parts.scheduler.activeDeliveries;
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
    const submissionsDone = this.parts.pipeline.drain();
    const httpClosed = new Promise<void>((resolve) => (this.httpServer ? this.httpServer.close(() => resolve()) : resolve()));
    this.httpServer?.closeIdleConnections();
    await submissionsDone;
    await this.parts.scheduler.stop(graceMs);
    this.httpServer?.closeAllConnections();
    await httpClosed;
    await smtpClosed;
    await this.parts.webhookSender.close();
    await this.parts.status.close();
    await this.parts.store.close();
    await this.parts.spool.close();
    this.logger.info('stopped');
  }
}
