/**
 * Outpost in one process (OUTPOST_WORKERS=1, and every in-process start:
 * tests, benchmarks, embedding): owns the order of start-up and shutdown, and
 * nothing else. With workers, core/workers/ plays this part for the primary and
 * for each worker. The composition root (core/assemble.ts) binds the front ends and builds
 * the parts; this file sequences them. Ports are bound before plugins load (a
 * busy port fails fast); the queue is recovered before delivery starts and
 * before the front ends take mail; on stop, submissions are refused first, then
 * in-flight deliveries get a bounded grace period, then the spool closes.
 */
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Logger } from 'pino';
import type { OutpostConfig } from '../config/index.js';
import type { Env } from '../config/setting.js';
import type { AccountService } from './accounts/accounts.js';
import { loadAdminKey } from './accounts/admin-key.js';
import { assembleSingle, bindFrontEnds, listenersDown, startDelivery, type SingleParts } from './assemble.js';
import type { DomainService } from './domains/domains.js';
import type { EventBus } from './events.js';
import type { FrontEnd } from './intake.js';
import { createLogger } from './log.js';
import type { NewMessage } from './message.js';
import type { QueueSizes } from './metrics.js';
import type { OutpostPlugin } from './plugins/plugin-api.js';
import type { Receipt } from './receive/queue.js';
import { Spool } from './spool/spool.js';
import type { MessageStatusView } from './status/status-store.js';
import { LevelSharedStore } from './store/level-shared-store.js';
import { RedisSharedStore } from './store/redis-shared-store.js';
import type { SharedStore } from './store/shared-store.js';

export interface OutpostOptions {
  config: OutpostConfig;
  /** The variables plugin settings are read from; process.env unless given (tests pass the env their config came from). */
  env?: Env;
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
  private stopping: Promise<void> | undefined;
  private domainRecheck: NodeJS.Timeout | undefined;

  private constructor(
    private readonly parts: SingleParts,
    private readonly frontEnds: readonly FrontEnd[],
  ) {
    ({ config: this.config, events: this.events, logger: this.logger, accounts: this.accounts, domains: this.domains } = parts);
  }

  static async start(options: OutpostOptions): Promise<Outpost> {
    const { config } = options;
    const logger = options.logger ?? createLogger(config.logLevel);
    const now = options.now ?? Date.now;

    // bound first, so a busy port fails the start at once; they take mail only once served below
    const frontEnds = await bindFrontEnds(config, logger);
    let spool: Spool | undefined;
    let store: SharedStore | undefined;
    try {
      spool = await Spool.open(path.join(config.dataDir, 'spool'));
      store = config.redisUrl
        ? await RedisSharedStore.connect(config.redisUrl, logger, config.redisNamespace)
        : new LevelSharedStore(spool.db, spool.committer);
      const adminKey = await loadAdminKey(config.adminKey, config.dataDir, (key, file) => {
        process.stderr.write(`outpost: generated the admin key (kept in ${file}, shown only now): ${key}\n`);
      });
      const parts = await assembleSingle({
        config,
        env: options.env ?? process.env,
        logger,
        now,
        spool,
        store,
        adminKey,
        frontEnds,
        extraPlugins: options.plugins ?? [],
        omitBuiltinPlugins: options.omitBuiltinPlugins ?? [],
      });
      const outpost = new Outpost(parts, frontEnds);
      outpost.domainRecheck = await startDelivery(parts);
      for (const frontEnd of frontEnds) frontEnd.serve(parts.intake);
      logger.info({ listeners: outpost.addresses(), dataDir: config.dataDir }, 'outpost started');
      return outpost;
    } catch (error) {
      await Promise.all(frontEnds.map((frontEnd) => frontEnd.close(0)));
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
  submit(message: NewMessage): Promise<Receipt> {
    return this.parts.intake.submit(message);
  }

  /** Status, recipients and event log of one message. */
  getMessage(messageId: string): Promise<MessageStatusView | undefined> {
    return this.parts.status.get(messageId);
  }

  /** Parts that are down (for /health): enabled listeners not listening, a spool that is closed or cannot write. */
  failingParts(): string[] {
    return [...listenersDown(this.frontEnds), ...this.parts.spoolFailing()];
  }

  /** Recipients waiting, by state, and delivery attempts in progress. */
  queueSizes(): QueueSizes {
    return this.parts.queueSizes();
  }

  /** Recipients waiting in the queue (not counting attempts in progress). */
  get queuedRecipients(): number {
    return this.parts.scheduler.queuedCount;
  }

  get activeDeliveries(): number {
    return this.parts.scheduler.activeDeliveries;
  }

  /** `host:port` of each enabled listener by name (port 0 resolved): http, submission, submission_tls. */
  addresses(): Record<string, string> {
    const addresses: Record<string, string> = {};
    for (const frontEnd of this.frontEnds) {
      for (const [name, server] of Object.entries(frontEnd.listeners)) {
        const address = server?.address() as AddressInfo | null | undefined;
        if (address) addresses[name] = `${address.address}:${address.port}`;
      }
    }
    return addresses;
  }

  /** `host:port` the HTTP listener is bound to; undefined when off. */
  get httpAddress(): string | undefined {
    return this.addresses().http;
  }

  /** `host:port` of the SMTP submission listener (587, STARTTLS); undefined when off. */
  get submissionAddress(): string | undefined {
    return this.addresses().submission;
  }

  /** `host:port` of the SMTP submission listener with implicit TLS (465); undefined when off. */
  get submissionTlsAddress(): string | undefined {
    return this.addresses().submission_tls;
  }

  /** Reads OUTPOST_TLS_CERT/KEY (or the generated certificate) again for new connections (SIGHUP); the listeners stay open. */
  async reloadTlsCertificate(): Promise<void> {
    for (const frontEnd of this.frontEnds) await frontEnd.reloadCertificate?.();
  }

  /** Graceful stop; calling it again returns the same promise. */
  stop(graceMs = this.config.shutdownGraceMs): Promise<void> {
    this.stopping ??= this.shutDown(graceMs);
    return this.stopping;
  }

  private async shutDown(graceMs: number): Promise<void> {
    clearInterval(this.domainRecheck);
    this.logger.info({ graceMs }, 'stopping: no new submissions, finishing deliveries in flight');
    // no new connections; idle sessions are told at once, transactions in progress finish or are cut at the grace period
    const frontEndsClosed = Promise.all(this.frontEnds.map((frontEnd) => frontEnd.close(graceMs)));
    await this.parts.pipeline.drain();
    await this.parts.scheduler.stop(graceMs);
    for (const frontEnd of this.frontEnds) frontEnd.cut();
    await frontEndsClosed;
    await this.parts.webhookSender.close();
    await this.parts.status.close();
    await this.parts.stats.close();
    await this.parts.store.close();
    await this.parts.spool.close();
    this.logger.info('stopped');
  }
}
