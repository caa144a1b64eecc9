/**
 * `client.webhooks`: URLs Outpost POSTs this account's events to, each signed
 * with the secret shown only in the answer to `add`.
 */
import type { ApiCaller } from './api-caller.js';
import type { CreateWebhook, Items, Webhook, WebhookWithSecret } from './types.js';

export class WebhooksApi {
  constructor(private readonly api: ApiCaller) {}

  /** Registers `url` for `events`; keep the answer's secret to check signatures, it is not shown again. */
  add(webhook: CreateWebhook): Promise<WebhookWithSecret> {
    return this.api.callJson('POST /v1/webhooks', { json: webhook });
  }

  async list(): Promise<Webhook[]> {
    return (await this.api.callJson<Items<Webhook>>('GET /v1/webhooks')).items;
  }

  async delete(id: string): Promise<void> {
    await this.api.call('DELETE /v1/webhooks/{id}', { params: { id } });
  }
}
