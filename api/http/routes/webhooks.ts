/**
 * The account's webhooks (account key): register a URL for some events (the
 * answer carries the signing secret, shown only then), list them, delete one.
 * Requests to the URL are described in core/webhooks/webhook-sender.ts and the
 * README.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { WEBHOOK_EVENTS, type Webhook } from '../../../core/intake.js';
import { accountIdOf, requireAccount } from '../auth.js';
import { readJson } from '../body.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseBody } from '../validation.js';

export const CreateWebhookBody = z.strictObject({
  url: z.string().min(1).max(2048),
  // checked against WEBHOOK_EVENTS by the service, so the error can list them
  events: z.array(z.string().max(64)).min(1).max(WEBHOOK_EVENTS.length),
});

function webhookJson(webhook: Webhook) {
  return { id: webhook.id, url: webhook.url, events: webhook.events, created_at: new Date(webhook.createdAt).toISOString() };
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
}
