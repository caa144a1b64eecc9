/**
 * What the HTTP front end may use of the core: a narrow facade, so routes never
 * reach into the spool or the scheduler.
 */
import type { Logger } from 'pino';
import type { OutpostConfig } from '../../config/index.js';
import type { AccountService } from '../../core/accounts/accounts.js';
import type { DomainService } from '../../core/domains/domains.js';
import type { Submission } from '../../core/message.js';
import type { QueueSizes } from '../../core/metrics.js';
import type { Receipt } from '../../core/receive/queue.js';
import type { SharedStore } from '../../core/store/shared-store.js';
import type { SuppressionService } from '../../core/suppressions/suppressions.js';
import type { WebhookService } from '../../core/webhooks/webhooks.js';
import type { MessagePage, MessageQuery, MessageStatusView } from '../../core/status/status-store.js';

export interface ApiServices {
  config: OutpostConfig;
  logger: Logger;
  accounts: AccountService;
  domains: DomainService;
  suppressions: SuppressionService;
  webhooks: WebhookService;
  adminKey: string;
  store: SharedStore;
  /** Runs the pipeline; resolves once durably queued. */
  submit(submission: Submission): Promise<Receipt>;
  /** A message's status and log, or undefined (no owner check: routes do it). */
  getMessage(messageId: string): Promise<MessageStatusView | undefined>;
  /** One account's messages, newest first. */
  listMessages(accountId: string, query: MessageQuery): Promise<MessagePage>;
  /** Recipients waiting in this node's queue. */
  queuedRecipients(): number;
  /** Parts that are down: enabled listeners not listening, a spool that cannot write (empty when healthy). */
  failingParts(): string[];
  /** Recipients waiting in this node's queue by state, and deliveries in progress (for /health). */
  queueSizes(): QueueSizes;
  /** This instance's metrics in Prometheus text format (GET /metrics). */
  metricsText(): Promise<string>;
  /** Content-Type of metricsText(). */
  metricsContentType: string;
}

/** What authentication leaves on ctx.state. */
export interface ApiState {
  accountId?: string;
}
