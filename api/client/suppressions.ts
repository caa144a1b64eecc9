/**
 * `client.suppressions`: the addresses this account does not send to (hard
 * bounces, complaints, manual entries) until removed.
 */
import type { ApiCaller } from './api-caller.js';
import type { Items, Suppression } from './types.js';

export class SuppressionsApi {
  constructor(private readonly api: ApiCaller) {}

  async list(): Promise<Suppression[]> {
    return (await this.api.callJson<Items<Suppression>>('GET /v1/suppressions')).items;
  }

  /** Suppresses `address` (reason manual); an address already listed keeps its first entry. */
  add(address: string): Promise<Suppression> {
    return this.api.callJson('POST /v1/suppressions', { json: { address } });
  }

  /** The entry of `address`; an OutpostApiError with code not_found when it is not listed. */
  get(address: string): Promise<Suppression> {
    return this.api.callJson('GET /v1/suppressions/{address}', { params: { address } });
  }

  /** Sends to `address` again. */
  async remove(address: string): Promise<void> {
    await this.api.call('DELETE /v1/suppressions/{address}', { params: { address } });
  }
}
