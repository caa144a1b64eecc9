/**
 * The built-in plugins, in registration order. They use the same public API as
 * third-party plugins (core/plugins.ts); those that need a core service get it
 * through their factory.
 */
import type { DomainService } from '../core/domains/domains.js';
import type { OutpostPlugin } from '../core/plugins/registry.js';
import type { SuppressionService } from '../core/suppressions/suppressions.js';
import type { WebhookSender } from '../core/webhooks/webhook-sender.js';
import type { WebhookService } from '../core/webhooks/webhooks.js';
import { createDkimSignPlugin } from './dkim-sign.js';
import messageHeaders from './message-headers.js';
import { returnPathPlugin } from './return-path.js';
import { createSenderDomainPlugin } from './sender-domain.js';
import { createSuppressionPlugin } from './suppression.js';
import { createWebhooksPlugin } from './webhooks.js';

export function builtinPlugins(services: { domains: DomainService; suppressions: SuppressionService; webhooks: WebhookService; webhookSender: WebhookSender }): OutpostPlugin[] {
  return [
    messageHeaders,
    createSenderDomainPlugin(services.domains),
    createSuppressionPlugin(services.suppressions),
    createDkimSignPlugin(services.domains),
    returnPathPlugin,
    createWebhooksPlugin(services.webhooks, services.webhookSender),
  ];
}
