/**
 * `client.webhooks`: URLs Outpost POSTs this account's events to, each signed
 * with the secret shown only in the answer to `add`.
 */
import type { ApiCaller } from './api-caller.js';
import type { CreateWebhook, Items, Webhook, WebhookDelivery, WebhookWithSecret } from './types.js';

export class WebhooksApi {
  constructor(private readonly api: ApiCaller) {}

  /** Registers `url` for `events`; keep the answer's secret to check signatures, it is not shown again. */
  add(webhook: CreateWebhook): Promise<WebhookWithSecret> {
    return this.api.callJson('POST /v1/webhooks', { json: webhook });
  }

  async list(): Promise<Webhook[]> {
    return (await this.api.callJson<Items<Webhook>>('GET /v1/webhooks')).items;
  }

  /** The webhook's latest deliveries, newest first (at most `limit`, default 100): status, attempts, last error. */
  async deliveries(id: string, options: { limit?: number } = {}): Promise<WebhookDelivery[]> {
    const query = { limit: options.limit === undefined ? undefined : String(options.limit) };
    return (await this.api.callJson<Items<WebhookDelivery>>('GET /v1/webhooks/{id}/deliveries', { params: { id }, query })).items;
  }

  async delete(id: string): Promise<void> {
    await this.api.call('DELETE /v1/webhooks/{id}', { params: { id } });
  }
}
