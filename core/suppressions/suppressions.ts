/**
 * Each account's suppression list: addresses Outpost does not send to for that
 * account until they are removed, because they hard-bounced or were added by
 * hand (complaints and unsubscribes will add theirs once those are received).
 * One shared collection per account, keyed by the lower-cased address, so in
 * cluster mode every node consults the same list. Addresses compare
 * case-insensitively, as receivers treat them in practice.
 */
import { accountCollectionName, type SharedCollection, type SharedStore } from '../store/shared-store.js';

export type SuppressionReason = 'hard_bounce' | 'complaint' | 'unsubscribe' | 'manual';

export interface Suppression {
  /** Lower-cased. */
  address: string;
  reason: SuppressionReason;
  createdAt: number;
  /** What caused it, e.g. the bounce reply. */
  detail?: string;
}

export class SuppressionService {
  constructor(
    private readonly store: SharedStore,
    private readonly now: () => number = Date.now,
  ) {}

  private entries(accountId: string): SharedCollection<Suppression> {
    return this.store.collection<Suppression>(accountCollectionName('suppressions', accountId));
  }

  /** The entry suppressing `address` for the account, if any. */
  find(accountId: string, address: string): Promise<Suppression | undefined> {
    return this.entries(accountId).get(address.toLowerCase());
  }

  /** Suppresses `address`; an address already on the list keeps its first entry, which is returned. */
  async add(accountId: string, address: string, reason: SuppressionReason, detail?: string): Promise<{ suppression: Suppression; created: boolean }> {
    const key = address.toLowerCase();
    const existing = await this.entries(accountId).get(key);
    if (existing) return { suppression: existing, created: false };
    const suppression: Suppression = { address: key, reason, createdAt: this.now(), ...(detail === undefined ? {} : { detail }) };
    await this.entries(accountId).put(key, suppression);
    return { suppression, created: true };
  }

  /** Removes `address` from the list; false when it was not on it. */
  async remove(accountId: string, address: string): Promise<boolean> {
    const key = address.toLowerCase();
    if (!(await this.entries(accountId).get(key))) return false;
    await this.entries(accountId).delete(key);
    return true;
  }

  /** The account's whole list, newest first. */
  async list(accountId: string): Promise<Suppression[]> {
    return (await this.entries(accountId).list()).sort((a, b) => b.createdAt - a.createdAt || a.address.localeCompare(b.address));
  }
}
