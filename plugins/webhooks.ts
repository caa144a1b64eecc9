/**
 * Built-in webhooks plugin: forwards what happens to an account's mail to the
 * account's webhooks that asked for it: `accepted` once a message is queued,
 * then per recipient `delivered`, `deferred` (with the next attempt's time),
 * `bounced` (with the classified reason, hard or soft, and whether a report came
 * back after delivery), `complained`, and `opened`, `clicked`, `unsubscribed`. Mail Outpost sends itself, without an
 * account, is never reported.
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
      forward(event.accountId, 'bounced', {
        message_id: event.messageId,
        recipient: event.recipient,
        at: iso(event.at),
        reason: event.reason,
        bounce_type: event.bounceType,
        description: event.description,
        async: event.async,
        ...(event.report?.diagnosticCode ? { diagnostic_code: event.report.diagnosticCode } : {}),
        ...(event.report?.remoteMta ? { remote_mta: event.report.remoteMta } : {}),
      }),
    );
    api.on('recipient:complained', (event) =>
      forward(event.accountId, 'complained', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), feedback_type: event.feedbackType }),
    );
    api.on('recipient:opened', (event) => forward(event.accountId, 'opened', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), machine: event.machine }));
    api.on('recipient:clicked', (event) =>
      forward(event.accountId, 'clicked', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), url: event.url, machine: event.machine }),
    );
    api.on('recipient:unsubscribed', (event) =>
      forward(event.accountId, 'unsubscribed', { message_id: event.messageId, recipient: event.recipient, at: iso(event.at), method: event.method }),
    );
  },
});
