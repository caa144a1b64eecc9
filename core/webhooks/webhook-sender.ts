/**
 * Sends webhook events: one JSON POST per event and webhook (webhook-request.ts
 * signs and sends it), tried again on any answer but 2xx (or none) after each
 * delay of OUTPOST_WEBHOOK_RETRY_SCHEDULE, then given up. Every delivery is
 * written to the shared store before its first attempt and after each one
 * (delivery-log.ts), so what is pending survives a restart and, in cluster
 * mode, a node's death: the retry loop (retry-loop.ts) of any node with
 * access to the store picks it up when it falls due.
 *
 * The guarantee is at least once: a crash between a receiver's 2xx and the
 * record of it, or a claim that outlives its lease, sends an event again, with
 * the same body, id and X-Outpost-Event-Id header, for the receiver to drop.
 *
 * Every process that publishes events has a sender and makes the first
 * attempt of its own events; only one process of a node runs the retry loop
 * (startRetries: the single process, or the primary of OUTPOST_WORKERS).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { WebhookDelivery, WebhookDeliveryLog } from './delivery-log.js';
import { WebhookRetryLoop } from './retry-loop.js';
import type { WebhookEventType } from './webhook-events.js';
import { postWebhook, type WebhookRequestSettings } from './webhook-request.js';
import type { SigningWebhook } from './webhooks.js';

/**
 * How much longer than a request's time limit a claim on a delivery lasts:
 * room for the store writes before and after the request. Another node takes
 * over a delivery whose holder died this long after its request began.
 */
const LEASE_MARGIN_MS = 15_000;

/** The longest error text kept in a delivery's log. */
const ERROR_TEXT_LIMIT = 500;

export interface WebhookSenderSettings extends WebhookRequestSettings {
  /** Delay before each retry; its length is the number of retries. */
  retryScheduleMs: number[];
  deliveries: WebhookDeliveryLog;
  /** The webhook as it is now (URL and secret), for a retry; undefined once it was deleted. */
  webhookFor(accountId: string, webhookId: string): Promise<SigningWebhook | undefined>;
  logger: Logger;
  now?: () => number;
}

export class WebhookSender {
  private readonly inFlight = new Set<Promise<void>>();
  private readonly now: () => number;
  private readonly leaseMs: number;
  private retries: WebhookRetryLoop | undefined;
  private closed = false;

  constructor(private readonly settings: WebhookSenderSettings) {
    this.now = settings.now ?? Date.now;
    this.leaseMs = settings.timeoutMs + LEASE_MARGIN_MS;
  }

  /** Sends `data` as event `type` to `webhook`: stored as pending, then tried at once. */
  send(webhook: SigningWebhook, type: WebhookEventType, data: Record<string, unknown>): void {
    const { logger, deliveries } = this.settings;
    if (this.closed) {
      logger.warn({ webhook: webhook.id, type }, 'webhook event published after shutdown began; not sent');
      return;
    }
    const now = this.now();
    const id = randomUUID();
    const delivery: WebhookDelivery = {
      id,
      accountId: webhook.accountId,
      webhookId: webhook.id,
      eventType: type,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: now,
      createdAt: now,
      updatedAt: now,
      body: JSON.stringify({ id, type, created_at: new Date(now).toISOString(), data }),
    };
    this.track(
      deliveries.create(delivery, now + this.leaseMs).then(
        () => {
          this.track(deliveries.trim(delivery.accountId, delivery.webhookId));
          return this.attempt(delivery, webhook);
        },
        (error: unknown) => logger.error({ err: error, webhook: webhook.id, type }, 'webhook delivery could not be stored; event not sent'),
      ),
    );
  }

  /** Starts trying pending deliveries again as they fall due, here and those other nodes left (one process per node). */
  startRetries(): void {
    if (this.closed || this.retries) return;
    const { deliveries, logger } = this.settings;
    this.retries = new WebhookRetryLoop({
      deliveries,
      leaseMs: this.leaseMs,
      logger,
      now: this.now,
      attempt: async (delivery) => this.attempt(delivery, await this.settings.webhookFor(delivery.accountId, delivery.webhookId)),
    });
    this.retries.start();
  }

  /** Stops taking up deliveries and waits for the attempts under way; what is pending stays stored for the next start. */
  async close(): Promise<void> {
    this.closed = true;
    await this.retries?.stop();
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  private track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => this.settings.logger.error({ err: error }, 'webhook delivery bookkeeping failed'));
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }

  /** One attempt of a delivery this process holds, and its record: delivered, pending until the next retry, or failed. */
  private async attempt(delivery: WebhookDelivery, webhook: SigningWebhook | undefined): Promise<void> {
    const { logger, retryScheduleMs, deliveries } = this.settings;
    const attempts = delivery.attempts + 1;
    let httpStatus: number | undefined;
    let error: string | undefined;
    if (!webhook) error = 'the webhook was deleted';
    else if (delivery.body === undefined) error = 'the delivery has no body to send';
    else {
      try {
        httpStatus = await postWebhook(this.settings, webhook, delivery.id, delivery.body);
        if (httpStatus < 200 || httpStatus > 299) error = `answered HTTP ${httpStatus}`;
      } catch (failure) {
        error = (failure as Error).message;
      }
    }
    const at = this.now();
    const delay = webhook && delivery.body !== undefined ? retryScheduleMs[attempts - 1] : undefined;
    const status = error === undefined ? 'delivered' : delay === undefined ? 'failed' : 'pending';
    const { id, accountId, webhookId, eventType, createdAt, body } = delivery;
    await deliveries.update({
      id, accountId, webhookId, eventType, createdAt, body, status, attempts, updatedAt: at,
      ...(httpStatus === undefined ? {} : { lastHttpStatus: httpStatus }),
      ...(error === undefined ? {} : { lastError: error.slice(0, ERROR_TEXT_LIMIT) }),
      ...(status === 'pending' ? { nextAttemptAt: at + delay! } : {}),
    });
    const log = { webhook: webhookId, url: webhook?.url, type: eventType, event: id, attempts };
    if (status === 'pending') logger.warn({ ...log, reason: error, retryInMs: delay }, 'webhook request failed; trying again later');
    else if (status === 'failed') logger.error({ ...log, reason: error }, 'webhook request failed; giving up');
  }
}
