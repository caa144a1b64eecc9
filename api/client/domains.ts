/**
 * `client.domains`: the account's sending domains. Adding one answers the DNS
 * records to publish; verify looks them up and answers, per record, ok,
 * missing or wrong with what was found. It must never hide a record's status:
 * the server's view is returned as is.
 */
import type { ApiCaller } from './api-caller.js';
import type { CreateDomain, Domain, DomainDefaults, Items, RotateDkim } from './types.js';

export class DomainsApi {
  constructor(private readonly api: ApiCaller) {}

  /** Adds `domain` with a new DKIM key; the answer's dns_records are what to publish. */
  add(domain: string, options: CreateDomain = {}): Promise<Domain> {
    return this.api.callJson('POST /v1/domains', { json: { domain, ...options } });
  }

  async list(): Promise<Domain[]> {
    return (await this.api.callJson<Items<Domain>>('GET /v1/domains')).items;
  }

  get(domain: string): Promise<Domain> {
    return this.api.callJson('GET /v1/domains/{domain}', { params: { domain } });
  }

  /** Looks the records up: status verified, or pending with each record's result. */
  verify(domain: string): Promise<Domain> {
    return this.api.callJson('POST /v1/domains/{domain}/verify', { params: { domain } });
  }

  /** Sets the domain's defaults for the starred send options (a send's own field wins). */
  setDefaults(domain: string, defaults: DomainDefaults): Promise<Domain> {
    return this.api.callJson('PATCH /v1/domains/{domain}', { params: { domain }, json: defaults });
  }

  /** Adds a new DKIM key to publish; it signs once a verify has seen it. */
  rotateDkim(domain: string, options: RotateDkim = {}): Promise<Domain> {
    return this.api.callJson('POST /v1/domains/{domain}/dkim/rotate', { params: { domain }, json: options });
  }

  async delete(domain: string): Promise<void> {
    await this.api.call('DELETE /v1/domains/{domain}', { params: { domain } });
  }
}
