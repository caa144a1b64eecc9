/**
 * The Outpost client: one object per server and key, with the API's areas as
 * properties (`client.mail.send(...)`, `client.mail.messages.get(id)`,
 * `client.domains`, `client.suppressions`, `client.webhooks`, `client.accounts`
 * with the admin key) and the server's own endpoints (health, metrics, the
 * OpenAPI document). Every failure is an OutpostApiError (errors.ts).
 */
import { AccountsApi, OwnAccountApi } from './accounts.js';
import { ApiCaller, type ClientOptions } from './api-caller.js';
import { DomainsApi } from './domains.js';
import { MailApi } from './mail.js';
import { SuppressionsApi } from './suppressions.js';
import type { ServerHealth } from './types.js';
import { WebhooksApi } from './webhooks.js';

export class Outpost {
  readonly mail: MailApi;
  readonly domains: DomainsApi;
  readonly suppressions: SuppressionsApi;
  readonly webhooks: WebhooksApi;
  /** Admin: every account (needs the admin key). */
  readonly accounts: AccountsApi;
  /** The account of `key`. */
  readonly account: OwnAccountApi;
  private readonly api: ApiCaller;

  constructor(options: ClientOptions) {
    this.api = new ApiCaller(options);
    this.mail = new MailApi(this.api);
    this.domains = new DomainsApi(this.api);
    this.suppressions = new SuppressionsApi(this.api);
    this.webhooks = new WebhooksApi(this.api);
    this.accounts = new AccountsApi(this.api);
    this.account = new OwnAccountApi(this.api);
  }

  /** GET /health: status ok, or unavailable naming what is down (answered, not thrown). */
  health(): Promise<ServerHealth> {
    return this.api.callJson('GET /health', { answerStatuses: [503] });
  }

  /** GET /metrics: the Prometheus text. */
  async metrics(): Promise<string> {
    return (await this.api.call('GET /metrics')).text;
  }

  /** GET /v1/openapi.json: the API's description, as the server serves it. */
  openApi(): Promise<Record<string, unknown>> {
    return this.api.callJson('GET /v1/openapi.json');
  }
}
