/**
 * Built-in webhooks plugin: forwards what happens to an account's mail to the
 * account's webhooks that asked for it: `accepted` once a message is queued,
 * then per recipient `delivered`, `deferred` (with the next attempt's time) and
 * `bounced` (with the reason). Mail Outpost sends itself, without an account,
 * is never reported.
 */
import { definePlugin, type WebhookEventType } from 'outpost/plugin';

const iso = (ms: number) => new Date(ms).toISOString();

export default definePlugin({
  name: 'webhooks',
  register(api) {
    const forward = (accountId: string | undefined, type: WebhookEventType, data: Record<string, unknown>): void => {
      if (accountId !== undefined) api.webhooks.publish(accountId, type, data);
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
