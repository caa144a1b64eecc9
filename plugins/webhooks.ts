/**
 * Built-in webhooks plugin: forwards what happens to an account's mail to the
 * account's webhooks that asked for it (core/webhooks/): `accepted` once a
 * message is queued, then per recipient `delivered`, `deferred` (with the next
 * attempt's time) and `bounced` (with the reason). Mail Outpost sends itself,
 * without an account, is never reported.
 */
import { definePlugin } from '../core/plugins/plugin-api.js';
import type { WebhookSender } from '../core/webhooks/webhook-sender.js';
import type { WebhookEventType, WebhookService } from '../core/webhooks/webhooks.js';

const iso = (ms: number) => new Date(ms).toISOString();

export function createWebhooksPlugin(webhooks: WebhookService, sender: WebhookSender) {
  return definePlugin({
    name: 'webhooks',
    register(api) {
      const forward = (accountId: string | undefined, type: WebhookEventType, data: Record<string, unknown>): void => {
        if (accountId === undefined) return;
        webhooks.subscribed(accountId, type).then(
          (subscribed) => {
            for (const webhook of subscribed) sender.send(webhook, type, data);
          },
          (error: unknown) => api.logger.error({ err: error, accountId, type }, 'could not read the account\'s webhooks; event not sent'),
        );
      };

      api.on('message:accepted', (event) => forward(event.accountId, 'accepted', { message_id: event.messageId, from: event.from, recipients: event.recipients, at: iso(event.at) }));
      api.on('recipient:delivered', (event) =>
        forward(event.accountId, 'delivered', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), mx: event.attempt.mx ?? null, response: event.attempt.response }),
      );
      api.on('recipient:deferred', (event) =>
        forward(event.accountId, 'deferred', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), response: event.attempt.response, next_attempt_at: iso(event.nextAttemptAt) }),
      );
      api.on('recipient:bounced', (event) =>
        forward(event.accountId, 'bounced', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), reason: event.reason }),
      );
    },
  });
}
