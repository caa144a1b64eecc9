/**
 * The composition root: the only code that knows every part. It binds the
 * front ends (api/http, api/smtp), registers the plugins (plugins/ and
 * OUTPOST_PLUGINS), and builds each process's parts:
 *
 *   the core (one process, or the primary): spool, status, shared store,
 *     scheduler and delivery, the committer that writes finished messages;
 *   a single process: the core plus the pipeline and an Intake over both;
 *   a worker: the pipeline and an Intake whose spool, status and (embedded)
 *     store are the primary's, reached over IPC (core/workers/).
 *
 * Nothing here starts delivering or takes mail; core/server.ts and
 * core/workers/ own the order of start-up and shutdown.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { HttpFrontEnd } from '../api/http/front-end.js';
import { MxListener } from '../api/mx/listener.js';
import { SubmissionListeners } from '../api/smtp/listeners.js';
import type { OutpostConfig } from '../config/index.js';
import type { Env } from '../config/setting.js';
import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { AccountService } from './accounts/accounts.js';
import { isAdminKey } from './accounts/admin-key.js';
import { AccountHealth } from './accounts/account-health.js';
import { SendRateLimit } from './accounts/send-rate-limit.js';
import { AuthThrottle } from './accounts/auth-throttle.js';
import { ReturnPathTokens } from './bounces/return-path.js';
import { createDnsResolver } from './dns-resolver.js';
import { DomainService } from './domains/domains.js';
import { SecretBox } from './domains/secret-box.js';
import { outpostError } from './errors.js';
import { EventBus } from './events.js';
import { failingParts } from './health.js';
import type { FrontEnd, Intake } from './intake.js';
import type { NewMessage } from './message.js';
import { OutpostMetrics, submissionResultOf, type QueueSizes } from './metrics.js';
import { pluginFacades, type ReportSink } from './plugins/facades.js';
import { HookRegistry } from './plugins/hooks.js';
import { importPlugin } from './plugins/load.js';
import type { OutpostPlugin } from './plugins/plugin-api.js';
import { registerPlugins } from './plugins/register.js';
import { PluginRoutes } from './plugins/routes.js';
import { SpoolCommitter } from './receive/commit.js';
import { InboundReceiver, type InboundReceiverDeps } from './receive/inbound.js';
import { Pipeline } from './receive/pipeline.js';
import type { MessageCommitter, Receipt } from './receive/queue.js';
import { ConnectionPool } from './send/connection-pool.js';
import { Delivery } from './send/deliver.js';
import { MxResolver } from './send/mx-resolver.js';
import { Scheduler } from './send/scheduler.js';
import { InboundStore, type InboundEnvelope } from './spool/inbound.js';
import { recoverQueue } from './spool/recover.js';
import type { Spool } from './spool/spool.js';
import { ClusterStatusStore } from './status/cluster-status-store.js';
import { recordEngagement, type Engagement } from './status/engagement.js';
import { recordRecipientReport, type RecipientReport, type ReportResult } from './status/report.js';
import { StatsReader, type StatsQuery } from './status/stats-reader.js';
import { StatsRecorder } from './status/stats-recorder.js';
import { LevelStatusStore, type StatusStore } from './status/status-store.js';
import type { MessagePage, MessageQuery, MessageStatusView } from './status/types.js';
import { RedisSharedStore } from './store/redis-shared-store.js';
import type { SharedStore } from './store/shared-store.js';
import { SuppressionService } from './suppressions/suppressions.js';
import { WebhookSender } from './webhooks/webhook-sender.js';
import { WebhookService } from './webhooks/webhooks.js';

/** The names of the built-in plugins, for omitBuiltinPlugins and its error. */
export const BUILTIN_PLUGIN_NAMES: readonly string[] = BUILTIN_PLUGINS.map((plugin) => plugin.name);

/** Binds every enabled listener, HTTP first; a busy port fails here, before anything else starts. */
export async function bindFrontEnds(config: OutpostConfig, logger: Logger): Promise<FrontEnd[]> {
  const bound: FrontEnd[] = [];
  try {
    bound.push(await HttpFrontEnd.bind(config, logger));
    bound.push(await SubmissionListeners.bind(config, logger));
    bound.push(await MxListener.bind(config, logger));
    return bound;
  } catch (error) {
    await Promise.all(bound.map((frontEnd) => frontEnd.close(0)));
    throw error;
  }
}

/** What every process that registers plugins is given. */
export interface ProcessOptions {
  config: OutpostConfig;
  /** Where plugin settings are read from: the environment `config` was loaded from. */
  env: Env;
  logger: Logger;
  now: () => number;
  store: SharedStore;
  /** Registered after the built-ins and OUTPOST_PLUGINS. */
  extraPlugins: readonly OutpostPlugin[];
  /** Built-in plugins left out, by name (OutpostOptions.omitBuiltinPlugins). */
  omitBuiltinPlugins: readonly string[];
}

/** The accounts, domains, lists and webhooks over the shared store, the same in every process. */
interface StoreServices {
  accounts: AccountService;
  domains: DomainService;
  suppressions: SuppressionService;
  webhooks: WebhookService;
  box: SecretBox;
  tokens: ReturnPathTokens;
  health: AccountHealth;
}

async function storeServices(options: ProcessOptions, events: EventBus): Promise<StoreServices> {
  const { config, store, logger, now } = options;
  const box = await SecretBox.load(config.secretKey, config.dataDir);
  const domains = new DomainService({
    store, box, resolver: createDnsResolver(config.dnsServers), identity: { hostname: config.hostname, sendingIps: config.sendingIps }, events, logger, now, claimExpiryMs: config.domainClaimExpiryMs,
  });
  const accounts = new AccountService(store, domains, now);
  return {
    accounts,
    health: new AccountHealth(store, accounts, config.health, logger, now),
    domains,
    suppressions: new SuppressionService(store, now),
    webhooks: new WebhookService(store, box, { allowPrivateTargets: config.delivery.allowPrivateTargets, logSize: config.webhooks.logSize }, now),
    box,
    tokens: new ReturnPathTokens(box.deriveKey('return path'), config.returnPathValidityMs, now),
  };
}

interface PluginSetup {
  hooks: HookRegistry;
  routes: PluginRoutes;
}

async function registerAllPlugins(options: ProcessOptions, events: EventBus, metrics: OutpostMetrics, services: StoreServices, webhookSender: WebhookSender, reports: ReportSink): Promise<PluginSetup> {
  const { config, logger } = options;
  const hooks = new HookRegistry(config.hookTimeoutMs);
  hooks.onHookTimed = (timing) => metrics.hookTimed(timing);
  const routes = new PluginRoutes();
  const plugins = [...builtinPluginsKept([...config.disabledPlugins, ...options.omitBuiltinPlugins]), ...(await Promise.all(config.plugins.map(importPlugin))), ...options.extraPlugins];
  await registerPlugins(plugins, {
    hooks,
    events,
    facades: pluginFacades({ ...services, webhookSender, reports, logger }),
    metrics,
    routes,
    identity: Object.freeze({ hostname: config.hostname, publicUrl: config.publicUrl }),
    env: options.env,
    deriveKey: (purpose) => services.box.deriveKey(purpose),
    logger,
  });
  return { hooks, routes };
}

/** A sender over the shared store's deliveries; its retry loop is started by the one process of a node that runs it. */
function webhookSenderFor(config: OutpostConfig, logger: Logger, now: () => number, webhooks: WebhookService): WebhookSender {
  return new WebhookSender({
    resolver: createDnsResolver(config.dnsServers),
    allowPrivateTargets: config.delivery.allowPrivateTargets,
    retryScheduleMs: config.webhooks.retryScheduleMs,
    timeoutMs: config.webhooks.timeoutMs,
    deliveries: webhooks.deliveries,
    webhookFor: (accountId, webhookId) => webhooks.find(accountId, webhookId),
    logger: logger.child({ part: 'webhooks' }),
    now,
  });
}

/** Counts each submission's result in `metrics` around the pipeline. */
function countedSubmit(pipeline: Pipeline, metrics: OutpostMetrics): (message: NewMessage) => Promise<Receipt> {
  return async (message) => {
    try {
      const receipt = await pipeline.submit(message);
      metrics.submission(message.source, 'accepted');
      return receipt;
    } catch (error) {
      metrics.submission(message.source, submissionResultOf(error));
      throw error;
    }
  };
}

/** The queue guard with the one reply text; `queued` is this node's count of waiting recipients. */
function queueGuard(config: OutpostConfig, queued: () => number): () => void {
  return () => {
    const count = queued();
    if (count < config.spool.maxQueuedRecipients) return;
    throw outpostError(
      'queue_full',
      `the queue holds ${count} recipients, its limit (OUTPOST_MAX_QUEUED_RECIPIENTS); nothing was sent: retry in a few minutes, once deliveries have drained it`,
    );
  };
}

export interface CoreOptions extends ProcessOptions {
  spool: Spool;
}

/** The parts of the process that owns the spool: the only one, or the primary. */
export interface CoreParts extends StoreServices, PluginSetup {
  config: OutpostConfig;
  logger: Logger;
  now: () => number;
  spool: Spool;
  store: SharedStore;
  status: StatusStore;
  events: EventBus;
  metrics: OutpostMetrics;
  webhookSender: WebhookSender;
  committer: MessageCommitter;
  scheduler: Scheduler;
  reports: ReportSink;
  inboundStore: InboundStore;
  /** Counts events for GET /v1/stats; close() it before the store. */
  stats: StatsRecorder;
  queueSizes(): QueueSizes;
  /** Parts that are down besides the listeners: the spool (closed, or its writes failing). */
  spoolFailing(): string[];
}

export async function assembleCore(options: CoreOptions): Promise<CoreParts> {
  const { config, logger, now, spool, store } = options;
  const ownStatus = new LevelStatusStore(spool.db);
  // cluster mode: every node answers for every message (its own from its spool, the others' from Redis)
  const status: StatusStore = store instanceof RedisSharedStore ? new ClusterStatusStore(ownStatus, store.redis, store.prefix, logger, { now }) : ownStatus;
  const events = new EventBus(logger);
  const metrics = new OutpostMetrics();
  metrics.watchEvents(events);
  spool.committer.onBatchWritten = (milliseconds, writes) => metrics.spoolBatchWritten(milliseconds, writes);
  spool.committer.onBatchFailed = () => metrics.spoolBatchFailed();
  spool.committer.onFailingChanged = (failing, error) => {
    if (failing) logger.error({ err: error }, 'spool write failed; submissions are refused (503 / 451) until writes succeed');
    else logger.info('spool writes succeed again');
  };

  const services = await storeServices(options, events);
  const webhookSender = webhookSenderFor(config, logger, now, services.webhooks);
  const reports: ReportSink = {
    message: (messageId) => status.get(messageId),
    record: (report) => recordRecipientReport({ spool, status, events, now }, report),
    engage: (engagement) => recordEngagement({ spool, status, events, now }, engagement),
  };
  const { hooks, routes } = await registerAllPlugins(options, events, metrics, services, webhookSender, reports);
  const inboundStore = new InboundStore(spool, config.mx.retentionMs, now);
  services.health.watch(events);
  metrics.watchAccounts(() => services.health.rates());
  const stats = new StatsRecorder({ store, status, retentionMs: config.stats.retentionMs, logger });
  stats.watch(events);

  const delivery = new Delivery({
    hooks,
    resolver: new MxResolver({ dnsServers: config.dnsServers, allowPrivateTargets: config.delivery.allowPrivateTargets, cacheMs: config.delivery.mxCacheMs, now }),
    spool,
    pool: new ConnectionPool(config.delivery),
    settings: { ...config.delivery, hostname: config.hostname },
    now,
    logger,
  });
  const policy = { scheduleMs: config.delivery.retryScheduleMs, maxQueueTimeMs: config.delivery.maxQueueTimeMs };
  const scheduler = new Scheduler({ spool, status, events, delivery, policy, limits: config.delivery, now, logger });
  const committer = new SpoolCommitter({ spool, status, events, bodyChunkBytes: config.spool.bodyChunkBytes, now });
  const queueSizes = (): QueueSizes => ({ ...scheduler.countByState(), deliveriesInFlight: scheduler.activeDeliveries });
  metrics.watchQueue(queueSizes);

  return {
    config, logger, now, spool, store, status, events, metrics, ...services, hooks, routes, webhookSender, committer, scheduler, reports, inboundStore, stats, queueSizes,
    spoolFailing: () => failingParts({ listeners: {}, spool: { open: spool.db.status === 'open', writesFailing: spool.committer.failing } }),
  };
}

export interface SingleOptions extends CoreOptions {
  adminKey: string;
  frontEnds: readonly FrontEnd[];
}

/** One process doing everything: the core, the pipeline in front of it, and the Intake over both. */
/**
 * Recovers the queue from the spool, hands it and every later message to the scheduler,
 * resumes the pending webhook deliveries, and starts re-checking verified domains every OUTPOST_DOMAIN_RECHECK_INTERVAL; the process
 * that owns the spool (one process, or the primary) calls it once its core is up. Resolves
 * with the re-check timer, for the stop to clear.
 */
export async function startDelivery(core: CoreParts): Promise<NodeJS.Timeout> {
  const { spool, scheduler, events, logger, now, config, domains } = core;
  const recovered = await recoverQueue(spool, logger);
  for (const { messageId, reason } of recovered.quarantined) events.emit('spool:quarantined', { messageId, reason, at: now() });
  spool.onQueued((recipients) => scheduler.add(recipients));
  scheduler.add(recovered.recipients);
  scheduler.start();
  logger.info({ recovered: recovered.recipients.length, quarantined: recovered.quarantined.length }, 'queue recovered');
  // pending webhook deliveries are resumed here, in the one process per node that owns the spool
  core.webhookSender.startRetries();
  const domainRecheck = setInterval(() => void domains.reverifyAll(), config.domainRecheckIntervalMs);
  domainRecheck.unref();
  return domainRecheck;
}

export interface SingleParts extends CoreParts {
  pipeline: Pipeline;
  intake: Intake;
}

export async function assembleSingle(options: SingleOptions): Promise<SingleParts> {
  if (options.config.workers > 1) {
    throw outpostError('config_invalid', `OUTPOST_WORKERS is ${options.config.workers}, but Outpost.start runs everything in this one process: set OUTPOST_WORKERS=1, or start bin/outpost.ts (npm start), which runs the workers`);
  }
  const core = await assembleCore(options);
  const { config, logger, now } = options;
  const pipeline = new Pipeline({ hooks: core.hooks, committer: core.committer, events: core.events, maxMessageBytes: config.spool.maxMessageBytes, now, logger });
  const inbound = inboundReceiver(options, core, core.hooks, {
    knowsMessage: async (messageId) => (await core.status.get(messageId)) !== undefined,
    store: (envelope, raw) => core.inboundStore.store(envelope, raw),
  });
  const intake: Intake = {
    ...storeIntake(options, core, options.adminKey),
    submit: countedSubmit(pipeline, core.metrics),
    checkQueueRoom: queueGuard(config, () => core.scheduler.queuedCount),
    checkInboundRecipient: (address) => inbound.checkRecipient(address),
    receiveInbound: (arrival) => inbound.receive(arrival),
    getMessage: (messageId) => core.status.get(messageId),
    listMessages: (accountId, query) => core.status.list(accountId, query),
    pluginRoutes: core.routes.all,
    failingParts: async () => [...listenersDown(options.frontEnds), ...core.spoolFailing()],
    queueSizes: async () => core.queueSizes(),
    metricsText: () => core.metrics.text(),
    metricsContentType: core.metrics.contentType,
    worker: undefined,
    uploadDirectory: path.join(config.dataDir, 'uploads'),
  };
  return { ...core, pipeline, intake };
}

/** Enabled listeners of `frontEnds` that are not listening. */
export function listenersDown(frontEnds: readonly FrontEnd[]): string[] {
  return failingParts({ listeners: Object.assign({}, ...frontEnds.map((frontEnd) => frontEnd.listeners)), spool: { open: true, writesFailing: false } });
}

/** The inbound MX's receiver over this process's hooks; `primaryParts` say where messages are known and stored. */
function inboundReceiver(options: ProcessOptions, services: StoreServices, hooks: HookRegistry, primaryParts: Pick<InboundReceiverDeps, 'knowsMessage' | 'store'>): InboundReceiver {
  return new InboundReceiver({
    hooks,
    tokens: services.tokens,
    hostname: options.config.hostname,
    isRegisteredDomain: (domain) => services.domains.isRegistered(domain),
    logger: options.logger,
    now: options.now,
    ...primaryParts,
  });
}

/** The Intake's members that are the same in a single process and in a worker: the services over the shared store. */
function storeIntake(options: ProcessOptions, services: StoreServices, adminKey: string) {
  const { config, logger, store, now } = options;
  const sendRateLimit = new SendRateLimit(store, config.api.rateLimit, now);
  const stats = new StatsReader(store);
  return {
    config,
    logger,
    async requireVerifiedSender(accountId: string, address: string): Promise<void> {
      await services.accounts.requireSending(accountId);
      await services.domains.requireVerified(accountId, address);
    },
    isAdminKey: (presented: string) => isAdminKey(presented, adminKey),
    accounts: services.accounts,
    domains: services.domains,
    suppressions: services.suppressions,
    webhooks: services.webhooks,
    authThrottle: new AuthThrottle(config.submission.authThrottle, store, now),
    countSend: (accountId: string) => sendRateLimit.count(accountId),
    store,
    accountHealth: (accountId: string) => services.health.report(accountId),
    stats: (accountId: string, query: StatsQuery) => stats.query(accountId, query),
  };
}

/** What a worker asks of the primary (core/workers/worker.ts implements it over IPC). */
export interface PrimaryLink {
  committer: MessageCommitter;
  /** Forwards an event to the primary, where every listener runs. */
  forwardEvent: ConstructorParameters<typeof EventBus>[1];
  getMessage(messageId: string): Promise<MessageStatusView | undefined>;
  listMessages(accountId: string, query: MessageQuery): Promise<MessagePage>;
  /** The primary's parts that are down (spool, missing workers). */
  failingParts(): Promise<string[]>;
  queueSizes(): Promise<QueueSizes>;
  /** Waiting recipients as last told by the primary (for the queue guard, before a body is read). */
  queuedRecipients(): number;
  /** Metrics of every process of this instance, aggregated by the primary. */
  metricsText(): Promise<string>;
  /** Records what a report says about a recipient (a bounce, a complaint) in the primary's status store. */
  recordReport(report: RecipientReport): Promise<ReportResult>;
  /** Records an open, click or unsubscribe in the primary's status store. */
  recordEngagement(engagement: Engagement): Promise<ReportResult>;
  /** Stores an inbound message in the primary's spool, fsynced. */
  storeInbound(envelope: InboundEnvelope, raw: Buffer): Promise<void>;
}

export interface WorkerOptions extends ProcessOptions {
  adminKey: string;
  frontEnds: readonly FrontEnd[];
  primary: PrimaryLink;
  /** This worker's slot (1..OUTPOST_WORKERS), stable across its restarts. */
  slot: number;
}

export interface WorkerParts {
  pipeline: Pipeline;
  intake: Intake;
  metrics: OutpostMetrics;
  domains: DomainService;
}

/**
 * A worker: the pipeline up to the finished message (validate, scan, sign and
 * the queue hooks run here), handed to the primary to write; events go to the
 * primary; status, health and metrics come from it.
 */
export async function assembleWorker(options: WorkerOptions): Promise<WorkerParts> {
  const { config, logger, now, primary } = options;
  const events = new EventBus(logger, primary.forwardEvent);
  const metrics = new OutpostMetrics();
  const services = await storeServices(options, events);
  // a worker's plugins publish webhooks through the facade like any other: the worker makes the first attempt,
  // the primary's retry loop (never started here) the retries
  const reports: ReportSink = { message: (messageId) => primary.getMessage(messageId), record: (report) => primary.recordReport(report), engage: (engagement) => primary.recordEngagement(engagement) };
  const { hooks, routes } = await registerAllPlugins(options, events, metrics, services, webhookSenderFor(config, logger, now, services.webhooks), reports);
  const pipeline = new Pipeline({ hooks, committer: primary.committer, events, maxMessageBytes: config.spool.maxMessageBytes, now, logger });
  const inbound = inboundReceiver(options, services, hooks, {
    knowsMessage: async (messageId) => (await primary.getMessage(messageId)) !== undefined,
    store: (envelope, raw) => primary.storeInbound(envelope, raw),
  });
  const intake: Intake = {
    ...storeIntake(options, services, options.adminKey),
    submit: countedSubmit(pipeline, metrics),
    checkQueueRoom: queueGuard(config, () => primary.queuedRecipients()),
    checkInboundRecipient: (address) => inbound.checkRecipient(address),
    receiveInbound: (arrival) => inbound.receive(arrival),
    getMessage: (messageId) => primary.getMessage(messageId),
    listMessages: (accountId, query) => primary.listMessages(accountId, query),
    pluginRoutes: routes.all,
    failingParts: async () => [...listenersDown(options.frontEnds), ...(await primary.failingParts())],
    queueSizes: () => primary.queueSizes(),
    metricsText: () => primary.metricsText(),
    metricsContentType: metrics.contentType,
    worker: options.slot,
    uploadDirectory: path.join(config.dataDir, 'uploads', `worker-${options.slot}`),
  };
  return { pipeline, intake, metrics, domains: services.domains };
}

/** The built-ins but those named in `omitted`; an unknown name fails the start. */
function builtinPluginsKept(omitted: readonly string[]): OutpostPlugin[] {
  const unknown = omitted.filter((name) => !BUILTIN_PLUGIN_NAMES.includes(name));
  if (unknown.length > 0) {
    throw outpostError(
      'config_invalid',
      `OUTPOST_DISABLED_PLUGINS: no built-in plugin named ${unknown.map((name) => `"${name}"`).join(', ')}; the built-ins are ${BUILTIN_PLUGIN_NAMES.join(', ')}`,
    );
  }
  return BUILTIN_PLUGINS.filter((plugin) => !omitted.includes(plugin.name));
}
