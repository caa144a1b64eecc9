/**
 * Builds Outpost's parts on an open spool and shared store: event bus, hook
 * registry with the built-in and configured plugins, metrics, accounts,
 * domains, the submission pipeline and the delivery scheduler. Nothing here
 * binds a port or starts delivering; core/server.ts owns that order.
 */
import type { Logger } from 'pino';
import type { OutpostConfig } from '../config/index.js';
import { builtinPlugins } from '../plugins/index.js';
import { AccountService } from './accounts/accounts.js';
import { ConnectionPool } from './send/connection-pool.js';
import { MxResolver } from './send/mx-resolver.js';
import { createDnsResolver } from './dns-resolver.js';
import { DomainService } from './domains/domains.js';
import { SecretBox } from './domains/secret-box.js';
import { SuppressionService } from './suppressions/suppressions.js';
import { WebhookSender } from './webhooks/webhook-sender.js';
import { WebhookService } from './webhooks/webhooks.js';
import { ConfigError } from './errors.js';
import { EventBus } from './events.js';
import { OutpostMetrics } from './metrics.js';
import { DeliverStage } from './send/deliver.js';
import { HookRegistry } from './plugins/hooks.js';
import { Pipeline } from './receive/pipeline.js';
import { importPlugin, registerPlugin, type OutpostPlugin } from './plugins/registry.js';
import { Scheduler } from './send/scheduler.js';
import type { Spool } from './spool/spool.js';
import { RedisSharedStore } from './store/redis-shared-store.js';
import type { SharedStore } from './store/shared-store.js';
import { ClusterStatusStore } from './status/cluster-status-store.js';
import { LevelStatusStore, type StatusStore } from './status/status-store.js';

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
  suppressions: SuppressionService;
  webhooks: WebhookService;
  webhookSender: WebhookSender;
  pipeline: Pipeline;
  scheduler: Scheduler;
}

export interface AssembleOptions {
  config: OutpostConfig;
  logger: Logger;
  now: () => number;
  spool: Spool;
  store: SharedStore;
  /** Registered after the built-ins and OUTPOST_PLUGINS. */
  extraPlugins: OutpostPlugin[];
  /** Built-in plugins left out, by name (OutpostOptions.omitBuiltinPlugins). */
  omitBuiltinPlugins: readonly string[];
}

export async function assembleParts({ config, logger, now, spool, store, extraPlugins, omitBuiltinPlugins }: AssembleOptions): Promise<OutpostParts> {
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
  const builtins = builtinPlugins({ domains, suppressions, webhooks, webhookSender });
  const unknown = omitBuiltinPlugins.filter((name) => !builtins.some((plugin) => plugin.name === name));
  if (unknown.length > 0) {
    throw new ConfigError(`omitBuiltinPlugins: no built-in plugin named ${unknown.map((name) => `"${name}"`).join(', ')}; the built-ins are ${builtins.map((plugin) => plugin.name).join(', ')}`);
  }
  const kept = builtins.filter((plugin) => !omitBuiltinPlugins.includes(plugin.name));
  for (const plugin of [...kept, ...(await Promise.all(config.plugins.map(importPlugin))), ...extraPlugins]) {
    await registerPlugin(plugin, { hooks, events, config, logger });
  }

  const deliver = new DeliverStage({
    hooks,
    resolver: new MxResolver({ dnsServers: config.dnsServers, allowPrivateTargets: config.delivery.allowPrivateTargets, cacheMs: config.delivery.mxCacheMs, now }),
    spool,
    pool: new ConnectionPool(config.delivery),
    settings: { ...config.delivery, hostname: config.hostname },
    now,
    logger,
  });
  const policy = { scheduleMs: config.delivery.retryScheduleMs, maxQueueTimeMs: config.delivery.maxQueueTimeMs };
  const scheduler = new Scheduler({ spool, status, events, deliver, policy, limits: config.delivery, now, logger });
  const pipeline = new Pipeline({ hooks, spool, status, events, bodyChunkBytes: config.spool.bodyChunkBytes, maxMessageBytes: config.spool.maxMessageBytes, now, logger });

  return { config, logger, now, spool, store, status, events, metrics, accounts, domains, suppressions, webhooks, webhookSender, pipeline, scheduler };
}
