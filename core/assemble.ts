/**
 * The composition root: the only code that knows every part. It binds the
 * front ends (api/http, api/smtp), builds the core on an open spool and shared
 * store (event bus, hook registry with the built-in plugins of plugins/ and
 * those of OUTPOST_PLUGINS, metrics, accounts, domains, the receiving pipeline,
 * the sending scheduler), and the one Intake every front end reaches the core
 * through. Nothing here starts delivering; core/server.ts owns the order of
 * start-up and shutdown.
 */
import type { Logger } from 'pino';
import { HttpFrontEnd } from '../api/http/front-end.js';
import { SubmissionListeners } from '../api/smtp/listeners.js';
import type { OutpostConfig } from '../config/index.js';
import type { Env } from '../config/setting.js';
import { BUILTIN_PLUGINS } from '../plugins/index.js';
import { AccountService } from './accounts/accounts.js';
import { isAdminKey } from './accounts/admin-key.js';
import { AuthThrottle } from './accounts/auth-throttle.js';
import { createDnsResolver } from './dns-resolver.js';
import { DomainService } from './domains/domains.js';
import { SecretBox } from './domains/secret-box.js';
import { outpostError } from './errors.js';
import { EventBus } from './events.js';
import { failingParts } from './health.js';
import type { FrontEnd, Intake } from './intake.js';
import type { NewMessage } from './message.js';
import { OutpostMetrics, submissionResultOf, type QueueSizes } from './metrics.js';
import { pluginFacades } from './plugins/facades.js';
import { HookRegistry } from './plugins/hooks.js';
import { importPlugin } from './plugins/load.js';
import type { OutpostPlugin } from './plugins/plugin-api.js';
import { registerPlugins } from './plugins/register.js';
import { PluginRoutes } from './plugins/routes.js';
import { Pipeline } from './receive/pipeline.js';
import type { Receipt } from './receive/queue.js';
import { ConnectionPool } from './send/connection-pool.js';
import { Delivery } from './send/deliver.js';
import { MxResolver } from './send/mx-resolver.js';
import { Scheduler } from './send/scheduler.js';
import type { Spool } from './spool/spool.js';
import { ClusterStatusStore } from './status/cluster-status-store.js';
import { LevelStatusStore, type StatusStore } from './status/status-store.js';
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
    return bound;
  } catch (error) {
    await Promise.all(bound.map((frontEnd) => frontEnd.close(0)));
    throw error;
  }
}

export interface OutpostParts {
  config: OutpostConfig;
  logger: Logger;
  now: () => number;
  spool: Spool;
  store: SharedStore;
  status: StatusStore;
  events: EventBus;
  metrics: OutpostMetrics;
  accounts: AccountService;
  domains: DomainService;
  webhookSender: WebhookSender;
  pipeline: Pipeline;
  scheduler: Scheduler;
  intake: Intake;
}

export interface AssembleOptions {
  config: OutpostConfig;
  /** Where plugin settings are read from: the environment `config` was loaded from. */
  env: Env;
  logger: Logger;
  now: () => number;
  spool: Spool;
  store: SharedStore;
  adminKey: string;
  frontEnds: readonly FrontEnd[];
  /** Registered after the built-ins and OUTPOST_PLUGINS. */
  extraPlugins: readonly OutpostPlugin[];
  /** Built-in plugins left out, by name (OutpostOptions.omitBuiltinPlugins). */
  omitBuiltinPlugins: readonly string[];
}

export async function assembleParts(options: AssembleOptions): Promise<OutpostParts> {
  const { config, logger, now, spool, store } = options;
  const ownStatus = new LevelStatusStore(spool.db);
  // cluster mode: every node answers for every message (its own from its spool, the others' from Redis)
  const status: StatusStore = store instanceof RedisSharedStore ? new ClusterStatusStore(ownStatus, store.redis, store.prefix, logger, { now }) : ownStatus;
  const events = new EventBus(logger);
  const hooks = new HookRegistry(config.hookTimeoutMs);
  const metrics = new OutpostMetrics();
  metrics.watchEvents(events);
  hooks.onHookTimed = (timing) => metrics.hookTimed(timing);
  spool.committer.onBatchWritten = (milliseconds, writes) => metrics.spoolBatchWritten(milliseconds, writes);
  spool.committer.onBatchFailed = () => metrics.spoolBatchFailed();
  spool.committer.onFailingChanged = (failing, error) => {
    if (failing) logger.error({ err: error }, 'spool write failed; submissions are refused (503 / 451) until writes succeed');
    else logger.info('spool writes succeed again');
  };

  const accounts = new AccountService(store, now);
  const box = await SecretBox.load(config.secretKey, config.dataDir);
  const domains = new DomainService({
    store,
    box,
    resolver: createDnsResolver(config.dnsServers),
    identity: { hostname: config.hostname, sendingIps: config.sendingIps },
    events,
    logger,
    now,
  });
  const suppressions = new SuppressionService(store, now);
  const webhooks = new WebhookService(store, box, { allowPrivateTargets: config.delivery.allowPrivateTargets }, now);
  const webhookSender = new WebhookSender({
    resolver: createDnsResolver(config.dnsServers),
    allowPrivateTargets: config.delivery.allowPrivateTargets,
    retryScheduleMs: config.webhooks.retryScheduleMs,
    timeoutMs: config.webhooks.timeoutMs,
    logger: logger.child({ part: 'webhooks' }),
    now,
  });

  const routes = new PluginRoutes();
  await registerPlugins([...builtinPluginsKept(options.omitBuiltinPlugins), ...(await Promise.all(config.plugins.map(importPlugin))), ...options.extraPlugins], {
    hooks,
    events,
    facades: pluginFacades({ domains, accounts, suppressions, webhooks, webhookSender, logger }),
    metrics,
    routes,
    identity: Object.freeze({ hostname: config.hostname, publicUrl: config.publicUrl }),
    env: options.env,
    logger,
  });

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
  const pipeline = new Pipeline({ hooks, spool, status, events, bodyChunkBytes: config.spool.bodyChunkBytes, maxMessageBytes: config.spool.maxMessageBytes, now, logger });

  const queueSizes = (): QueueSizes => ({ ...scheduler.countByState(), deliveriesInFlight: scheduler.activeDeliveries });
  const submit = async (message: NewMessage): Promise<Receipt> => {
    try {
      const receipt = await pipeline.submit(message);
      metrics.submission(message.source, 'accepted');
      return receipt;
    } catch (error) {
      metrics.submission(message.source, submissionResultOf(error));
      throw error;
    }
  };
  const intake: Intake = {
    config,
    logger,
    submit,
    checkQueueRoom() {
      const queued = scheduler.queuedCount;
      if (queued < config.spool.maxQueuedRecipients) return;
      throw outpostError(
        'queue_full',
        `the queue holds ${queued} recipients, its limit (OUTPOST_MAX_QUEUED_RECIPIENTS); nothing was sent: retry in a few minutes, once deliveries have drained it`,
      );
    },
    async requireVerifiedSender(accountId, address) {
      await domains.requireVerified(accountId, address);
    },
    isAdminKey: (presented) => isAdminKey(presented, options.adminKey),
    accounts,
    domains,
    suppressions,
    webhooks,
    authThrottle: new AuthThrottle(config.submission.authThrottle, store, now),
    store,
    getMessage: (messageId) => status.get(messageId),
    listMessages: (accountId, query) => status.list(accountId, query),
    pluginRoutes: routes.all,
    failingParts: () =>
      failingParts({
        listeners: Object.assign({}, ...options.frontEnds.map((frontEnd) => frontEnd.listeners)),
        spool: { open: spool.db.status === 'open', writesFailing: spool.committer.failing },
      }),
    queueSizes,
    metricsText: () => metrics.text(),
    metricsContentType: metrics.contentType,
  };
  metrics.watchQueue(queueSizes);

  return { config, logger, now, spool, store, status, events, metrics, accounts, domains, webhookSender, pipeline, scheduler, intake };
}

/** The built-ins but those named in `omitted`; an unknown name fails the start. */
function builtinPluginsKept(omitted: readonly string[]): OutpostPlugin[] {
  const unknown = omitted.filter((name) => !BUILTIN_PLUGIN_NAMES.includes(name));
  if (unknown.length > 0) {
    throw outpostError(
      'config_invalid',
      `omitBuiltinPlugins: no built-in plugin named ${unknown.map((name) => `"${name}"`).join(', ')}; the built-ins are ${BUILTIN_PLUGIN_NAMES.join(', ')}`,
    );
  }
  return BUILTIN_PLUGINS.filter((plugin) => !omitted.includes(plugin.name));
}
