/**
 * `client.accounts` (the admin key): create, list, disable, enable, resume,
 * delete accounts and rotate their keys; and `client.account`, what an
 * account's own key may read about itself. An account's key is shown only in
 * the answers to create and rotateKey.
 */
import type { ApiCaller } from './api-caller.js';
import type { Account, AccountHealth, AccountWithKey, Items, Stats, StatsQuery, UpdateAccount } from './types.js';

export class AccountsApi {
  constructor(private readonly api: ApiCaller) {}

  /** A new account and its API key (shown only now). */
  create(name: string): Promise<AccountWithKey> {
    return this.api.callJson('POST /v1/accounts', { json: { name } });
  }

  async list(): Promise<Account[]> {
    return (await this.api.callJson<Items<Account>>('GET /v1/accounts')).items;
  }

  get(id: string): Promise<Account> {
    return this.api.callJson('GET /v1/accounts/{id}', { params: { id } });
  }

  update(id: string, changes: UpdateAccount): Promise<Account> {
    return this.api.callJson('PATCH /v1/accounts/{id}', { params: { id }, json: changes });
  }

  /** Its key stops working at once. */
  disable(id: string): Promise<Account> {
    return this.api.callJson('POST /v1/accounts/{id}/disable', { params: { id } });
  }

  enable(id: string): Promise<Account> {
    return this.api.callJson('POST /v1/accounts/{id}/enable', { params: { id } });
  }

  /** A paused account (bounce or complaint rate too high) sends again. */
  resume(id: string): Promise<Account> {
    return this.api.callJson('POST /v1/accounts/{id}/resume', { params: { id } });
  }

  /** A new key; the old one stops working at once. */
  rotateKey(id: string): Promise<AccountWithKey> {
    return this.api.callJson('POST /v1/accounts/{id}/rotate-key', { params: { id } });
  }

  health(id: string): Promise<AccountHealth> {
    return this.api.callJson('GET /v1/accounts/{id}/health', { params: { id } });
  }

  async delete(id: string): Promise<void> {
    await this.api.call('DELETE /v1/accounts/{id}', { params: { id } });
  }
}

/** What the account of the client's key reads about itself. */
export class OwnAccountApi {
  constructor(private readonly api: ApiCaller) {}

  /** Its bounce and complaint rates over the window, and the thresholds that pause it. */
  health(): Promise<AccountHealth> {
    return this.api.callJson('GET /v1/account/health');
  }

  /** Its statistics per hour or day (times as Date, epoch ms or ISO 8601). */
  stats(query: StatsQuery = {}): Promise<Stats> {
    const time = (value: Date | string | number | undefined) => (value === undefined ? undefined : value instanceof Date ? String(value.getTime()) : String(value));
    return this.api.callJson('GET /v1/stats', { query: { interval: query.interval, from: time(query.from), to: time(query.to), tag: query.tag, domain: query.domain } });
  }
}
