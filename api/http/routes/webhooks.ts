/**
 * The account's webhooks (account key): register a URL for some events (the
 * answer carries the signing secret, shown only then), list them, delete one,
 * and read one's delivery log: each event sent to it, newest first, with its
 * status, attempts and what the last attempt got. Requests to the URL are
 * described in core/webhooks/webhook-request.ts and the README.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { WEBHOOK_EVENTS, type Webhook, type WebhookDelivery } from '../../../core/intake.js';
import { accountIdOf, requireAccount } from '../auth.js';
import { readJson } from '../body.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseBody } from '../validation.js';
import { IsoTime } from '../views/iso-time.js';
import type { WebhookJson } from '../views/webhook.js';

export const CreateWebhookBody = z.strictObject({
  url: z.string().min(1).max(2048),
  // checked against WEBHOOK_EVENTS by the service, so the error can list them
  events: z.array(z.string().max(64)).min(1).max(WEBHOOK_EVENTS.length),
});

/** The most deliveries one GET returns: the largest OUTPOST_WEBHOOK_LOG_SIZE. */
export const MAX_DELIVERIES_PAGE = 1000;
const DEFAULT_DELIVERIES_PAGE = 100;

/** GET /v1/webhooks/:id/deliveries query; unknown parameters are refused. */
export const WebhookDeliveriesQuery = z.strictObject({
  limit: z
    .string()
    .regex(/^\d{1,4}$/, { error: `give a whole number from 1 to ${MAX_DELIVERIES_PAGE}` })
    .transform(Number)
    .refine((limit) => limit >= 1 && limit <= MAX_DELIVERIES_PAGE, { error: `give a whole number from 1 to ${MAX_DELIVERIES_PAGE}` })
    .optional()
    .meta({ description: `deliveries to return, newest first, 1-${MAX_DELIVERIES_PAGE} (default ${DEFAULT_DELIVERIES_PAGE}); the log keeps OUTPOST_WEBHOOK_LOG_SIZE` }),
});

/** One delivery as GET /v1/webhooks/:id/deliveries shows it. */
export const WebhookDeliveryJson = z.object({
  event_id: z.string().meta({ description: 'the event\'s id: the body\'s `id` and the X-Outpost-Event-Id header, the same on every attempt' }),
  event_type: z.enum(WEBHOOK_EVENTS),
  status: z.enum(['pending', 'delivered', 'failed']).meta({ description: 'pending: waiting for its next attempt; delivered: answered 2xx; failed: given up after OUTPOST_WEBHOOK_RETRY_SCHEDULE' }),
  attempts: z.number().int(),
  last_error: z.string().nullable().meta({ description: 'why the last attempt failed (no answer, or the status in words); null when it succeeded or none was made' }),
  last_http_status: z.number().int().nullable().meta({ description: 'the HTTP status of the last attempt; null when it got no answer or none was made' }),
  next_attempt_at: IsoTime.nullable().meta({ description: 'pending: when it is tried next' }),
  created_at: IsoTime,
  updated_at: IsoTime,
});

function webhookJson(webhook: Webhook): WebhookJson {
  return { id: webhook.id, url: webhook.url, events: webhook.events, created_at: new Date(webhook.createdAt).toISOString() };
}

function deliveryJson(delivery: WebhookDelivery): z.infer<typeof WebhookDeliveryJson> {
  return {
    event_id: delivery.id,
    event_type: delivery.eventType,
    status: delivery.status,
    attempts: delivery.attempts,
    last_error: delivery.lastError ?? null,
    last_http_status: delivery.lastHttpStatus ?? null,
    next_attempt_at: delivery.status === 'pending' && delivery.nextAttemptAt !== undefined ? new Date(delivery.nextAttemptAt).toISOString() : null,
    created_at: new Date(delivery.createdAt).toISOString(),
    updated_at: new Date(delivery.updatedAt).toISOString(),
  };
}

export function registerWebhookRoutes(router: Router<ApiState>, intake: Intake): void {
  const account = requireAccount(intake);
  const { webhooks } = intake;

  router.post('/v1/webhooks', account, async (ctx) => {
    const body = parseBody(CreateWebhookBody, await readJson(ctx, 8192));
    const webhook = await webhooks.create(accountIdOf(ctx), body.url, body.events);
    ctx.status = 201;
    ctx.body = { ...webhookJson(webhook), secret: webhook.secret };
  });

  router.get('/v1/webhooks', account, async (ctx) => {
    ctx.body = { items: (await webhooks.list(accountIdOf(ctx))).map(webhookJson) };
  });

  router.delete('/v1/webhooks/:id', account, async (ctx) => {
    await webhooks.delete(accountIdOf(ctx), ctx.params.id!);
    ctx.status = 204;
  });

  router.get('/v1/webhooks/:id/deliveries', account, async (ctx) => {
    const { limit = DEFAULT_DELIVERIES_PAGE } = parseBody(WebhookDeliveriesQuery, { ...ctx.query });
    const deliveries = await webhooks.listDeliveries(accountIdOf(ctx), ctx.params.id!, limit);
    ctx.body = { items: deliveries.map(deliveryJson) };
  });
}
