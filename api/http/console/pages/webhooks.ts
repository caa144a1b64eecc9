/**
 * The account's webhooks: add one (its signing secret is shown once, on the
 * answer to the form, never again), delete one, and each one's recent
 * deliveries with the failures: what the receiver answered, how often it was
 * tried, when it is tried next.
 */
import type Router from '@koa/router';
import { outpostError } from '../../../../core/errors.js';
import { WEBHOOK_EVENTS, type SigningWebhook } from '../../../../core/intake.js';
import { fieldOf } from '../form.js';
import { accountIdOf, type ConsolePageDeps } from '../deps.js';
import type { ConsoleContext, ConsoleState } from '../render.js';

/** Deliveries shown per webhook, newest first. */
const RECENT_DELIVERIES = 10;

export function registerWebhookPages(router: Router<ConsoleState>, deps: ConsolePageDeps): void {
  const { intake, pages, account, changeForm } = deps;

  const showList = async (ctx: ConsoleContext, created?: SigningWebhook) => {
    const accountId = accountIdOf(ctx);
    const webhooks = await intake.webhooks.list(accountId);
    const withDeliveries = await Promise.all(
      webhooks.map(async (webhook) => ({ ...webhook, deliveries: await intake.webhooks.listDeliveries(accountId, webhook.id, RECENT_DELIVERIES) })),
    );
    pages.render(ctx, 'webhooks', { title: 'Webhooks', webhooks: withDeliveries, events: WEBHOOK_EVENTS, created }, created ? 201 : 200);
  };

  router.get('/webhooks', account, (ctx) => showList(ctx));

  router.post('/webhooks', account, async (ctx) => {
    const form = await changeForm(ctx);
    await pages.refusalsBackTo(ctx, '/ui/webhooks', async () => {
      const events = [...(form.get('events') ?? [])];
      if (events.length === 0) throw outpostError('invalid_request', 'Choose at least one event to send to the webhook.');
      const created = await intake.webhooks.create(accountIdOf(ctx), fieldOf(form, 'url'), events);
      // the secret is in this answer only: no redirect could carry it without keeping it somewhere
      await showList(ctx, created);
    });
  });

  router.post('/webhooks/:id/delete', account, async (ctx) => {
    await changeForm(ctx);
    await intake.webhooks.delete(accountIdOf(ctx), ctx.params.id!);
    pages.redirect(ctx, '/ui/webhooks', { kind: 'ok', text: 'The webhook was deleted: nothing more is sent to it.' });
  });
}
