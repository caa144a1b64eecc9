/**
 * The account's webhooks: /v1/webhooks (account key).
 */
import { z } from 'zod';
import { CreateWebhookBody, WebhookDeliveriesQuery, WebhookDeliveryJson } from '../routes/webhooks.js';
import { WebhookListJson, WebhookWithSecretJson } from '../views/webhook.js';
import { json, noContent, type ResourceDoc } from './operation.js';

/** GET /v1/webhooks/{id}/deliveries. */
export const WebhookDeliveryListJson = z.object({ items: z.array(WebhookDeliveryJson).meta({ description: 'newest first' }) });

const NO_WEBHOOK = 'the account has no such webhook (not_found)';

export const WEBHOOKS: ResourceDoc = {
  tag: { name: 'webhooks', description: 'URLs Outpost POSTs the account\'s events to, signed with X-Outpost-Signature: sha256=<HMAC of the body>' },
  operations: [
    {
      method: 'post',
      path: '/v1/webhooks',
      operationId: 'createWebhook',
      summary: 'Register a URL for some events; the answer carries the signing secret, shown only then',
      auth: 'account',
      body: CreateWebhookBody,
      responses: {
        201: json('registered', WebhookWithSecretJson),
        400: 'a bad or private URL, or an unknown event (invalid_request; details names the field)',
      },
    },
    {
      method: 'get',
      path: '/v1/webhooks',
      operationId: 'listWebhooks',
      summary: 'The account\'s webhooks (without their secrets)',
      auth: 'account',
      responses: { 200: json('the webhooks', WebhookListJson) },
    },
    {
      method: 'delete',
      path: '/v1/webhooks/{id}',
      operationId: 'deleteWebhook',
      summary: 'Stop sending to a webhook',
      auth: 'account',
      params: { id: 'the webhook id' },
      responses: { 204: noContent('deleted'), 404: NO_WEBHOOK },
    },
    {
      method: 'get',
      path: '/v1/webhooks/{id}/deliveries',
      operationId: 'listWebhookDeliveries',
      summary: 'The webhook\'s delivery log, newest first: each event sent to it, its status, attempts and what the last attempt got',
      auth: 'account',
      params: { id: 'the webhook id' },
      query: WebhookDeliveriesQuery,
      responses: {
        200: json('the deliveries', WebhookDeliveryListJson),
        400: 'a query parameter is wrong or unknown (invalid_request; details names each)',
        404: NO_WEBHOOK,
      },
    },
  ],
};
