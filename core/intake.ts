/**
 * The one contract the front ends (REST in api/http, SMTP submission in
 * api/smtp, the inbound MX listener in api/mx) reach the core through, built
 * once by the composition root (core/assemble.ts). Front ends import this file
 * and the error registry, never the spool, the scheduler, the stores or the
 * pipeline; the checks they share (queue guard, sender domain with its one
 * reply text, authentication, failed-AUTH throttle) live here or behind it, once.
 *
 * FrontEnd is the other half: what the process lifecycle (core/server.ts) asks
 * of each front end: bind early, serve once the core is ready, close on stop.
 */
import type { Server } from 'node:net';
import type { Logger } from 'pino';
import type { OutpostConfig } from '../config/index.js';
import type { AccountHealthReport } from './accounts/account-health.js';
import type { AccountService } from './accounts/accounts.js';
import type { AuthThrottle } from './accounts/auth-throttle.js';
import type { DomainService } from './domains/domains.js';
import type { NewMessage } from './message.js';
import type { QueueSizes } from './metrics.js';
import type { InboundRecipient } from './inbound-message.js';
import type { PluginRoute } from './plugins/routes.js';
import type { InboundArrival } from './receive/inbound.js';
import type { Receipt } from './receive/queue.js';
import type { StatsQuery, StatsReport } from './status/stats-reader.js';
import type { MessagePage, MessageQuery, MessageStatusView } from './status/status-store.js';
import type { SharedStore } from './store/shared-store.js';
import type { SuppressionService } from './suppressions/suppressions.js';
import type { WebhookService } from './webhooks/webhooks.js';

export { accountIdInKey, accountView, isAccountId, type AccountView } from './accounts/accounts.js';
export type { DomainRecord, DomainDefaults } from './domains/domain-record.js';
export type { DnsRecord } from './domains/dns-records.js';
export type { DkimAlgorithm } from './domains/dkim-keys.js';
export type { AttemptRecord } from './events.js';
export type { NewMessage, DeliveryOptions, RecipientState } from './message.js';
export type { AccountHealthReport } from './accounts/account-health.js';
export type { InboundRecipient } from './inbound-message.js';
export type { InboundArrival } from './receive/inbound.js';
export type { QueueSizes } from './metrics.js';
export type { PluginRoute } from './plugins/routes.js';
export type { Receipt } from './receive/queue.js';
export type { MessagePage, MessageQuery, MessageStatusView, RecipientStatus, MessageEvent } from './status/status-store.js';
export type { SharedStore } from './store/shared-store.js';
export type { StatsCounts, StatsQuery, StatsReport } from './status/stats-reader.js';
export type { StatsInterval } from './status/stats-figures.js';
export type { Suppression } from './suppressions/suppressions.js';
export { WEBHOOK_EVENTS, type Webhook, type SigningWebhook, type WebhookDelivery, type WebhookEventType } from './webhooks/webhooks.js';

export interface Intake {
  readonly config: OutpostConfig;
  readonly logger: Logger;

  /** Runs a message through the pipeline (validate → scan → sign → queue); resolves once it is fsynced. */
  submit(message: NewMessage): Promise<Receipt>;
  /**
   * The queue guard, before a body is read: throws queue_full (REST 503, SMTP
   * 452 4.3.1) while this node's queue holds OUTPOST_MAX_QUEUED_RECIPIENTS. The
   * scheduler keeps every queued recipient in memory (2–4 KB each at peak), so
   * without a bound a destination that defers everything would grow the process
   * until it is killed, and the same size would be read back at every restart.
   */
  checkQueueRoom(): void;
  /**
   * Counts one send (a REST request, an SMTP transaction) against the account's
   * rate limit, shared by every front end and node; throws rate_limited (REST
   * 429 with Retry-After, SMTP 451 4.7.1) past OUTPOST_API_RATE_LIMIT per window.
   */
  countSend(accountId: string): Promise<void>;
  /** Throws account_paused or domain_not_verified (their one reply texts) unless the account may send from `address`. */
  requireVerifiedSender(accountId: string, address: string): Promise<void>;
  /**
   * Inbound MX, at RCPT: the recipient when the listener takes mail for it (a return path
   * Outpost issued and has not let expire, postmaster@ or abuse@ of its own domains); else
   * throws relay_refused or return_path_unknown (550).
   */
  checkInboundRecipient(address: string): Promise<InboundRecipient>;
  /** Inbound MX, after DATA: runs the mx:message hooks and stores the message, fsynced; resolves with its id for the 250. */
  receiveInbound(arrival: InboundArrival): Promise<string>;
  /** True when `presented` is the admin key (compared in constant time). */
  isAdminKey(presented: string): boolean;

  readonly accounts: AccountService;
  readonly domains: DomainService;
  readonly suppressions: SuppressionService;
  readonly webhooks: WebhookService;
  /** Failed-AUTH counts and lockouts, in the shared store (every node of a cluster counts together). */
  readonly authThrottle: AuthThrottle;
  /** Shared state for front-end bookkeeping: rate-limit windows, idempotency keys. */
  readonly store: SharedStore;

  /** A message's status and log, or undefined (no owner check: the caller does it). */
  getMessage(messageId: string): Promise<MessageStatusView | undefined>;
  /** One account's messages, newest first. */
  listMessages(accountId: string, query: MessageQuery): Promise<MessagePage>;
  /** One account's bounce and complaint figures over the health window. */
  accountHealth(accountId: string): Promise<AccountHealthReport>;
  /** One account's delivery statistics per hour or day, from counts kept as events happen (never a scan of the message log). */
  stats(accountId: string, query: StatsQuery): Promise<StatsReport>;

  /** The plugins' HTTP routes, each under its plugin's prefix. */
  readonly pluginRoutes: readonly PluginRoute[];

  /** Parts that are down: enabled listeners not listening, a spool that cannot write, a worker missing (empty when healthy). */
  failingParts(): Promise<string[]>;
  /** Recipients waiting in this node's queue by state, and deliveries in progress. */
  queueSizes(): Promise<QueueSizes>;
  /** The worker slot of this process (1..OUTPOST_WORKERS), undefined in one process; HTTP answers name it (X-Outpost-Worker). */
  readonly worker: number | undefined;
  /** This process's own directory for multipart uploads (each worker has its own, emptied at its start). */
  readonly uploadDirectory: string;
  /** This instance's metrics in Prometheus text format (all its processes together), and its Content-Type. */
  metricsText(): Promise<string>;
  readonly metricsContentType: string;
}

export interface FrontEnd {
  /** Each listener's server by name (as /health names it); undefined when its port is off. */
  readonly listeners: Readonly<Record<string, Server | undefined>>;
  /** From now on requests and mail are taken and handed to `intake` (until then: 503 / 421). */
  serve(intake: Intake): void;
  /** Stops taking new connections; work in progress gets `graceMs`. Resolves once every connection is closed. */
  close(graceMs: number): Promise<void>;
  /** Cuts whatever connection is still open (called once deliveries have stopped). */
  cut(): void;
  /** Reads the TLS certificate again for new connections (SIGHUP); absent when the front end has no TLS. */
  reloadCertificate?(): Promise<void>;
}
