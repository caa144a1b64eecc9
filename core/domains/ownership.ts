/**
 * Who owns a domain: several accounts may claim one, and the first whose
 * records (its own verification token included) are published owns it, until
 * its claim is deleted, stops verifying or its account goes. The token is an
 * HMAC of the account and the domain under a key derived from the secret key:
 * stable (published once, it stays valid if the domain is added again), and
 * it says nothing about the account. The owner is one entry per domain in the
 * shared store (the account id), written with `insert` and removed with
 * `deleteIfEqual`, so of two accounts verifying at once (on two workers, or two
 * nodes) exactly one wins, and only the owner's release frees the domain.
 */
import { createHmac } from 'node:crypto';
import type { SharedCollection, SharedStore } from '../store/shared-store.js';

/** Where a claim's token is published (TXT), beside other accounts' tokens if several claim the domain. */
export function ownershipRecordName(domain: string): string {
  return `_outpost-verify.${domain}`;
}

const TOKEN_PREFIX = 'outpost-verification=';

/** Whether a published TXT value is an Outpost verification token (anyone's). */
export function isOwnershipValue(value: string): boolean {
  return value.startsWith(TOKEN_PREFIX);
}

export class OwnershipTokens {
  /** `key`: SecretBox.deriveKey('domain ownership'). */
  constructor(private readonly key: Buffer) {}

  /** The TXT value that proves `accountId` controls `domain`: 128 bits of HMAC, hex. */
  valueFor(accountId: string, domain: string): string {
    const token = createHmac('sha256', this.key).update(`${accountId}\n${domain}`).digest('hex').slice(0, 32);
    return `${TOKEN_PREFIX}${token}`;
  }
}

/** Domain → the id of the account that owns it. */
export class DomainOwners {
  private readonly owners: SharedCollection<string>;

  constructor(store: SharedStore) {
    this.owners = store.collection<string>('domain-owners');
  }

  /** Makes `accountId` the owner of `domain` unless another account is; true when it owns it now. */
  async take(domain: string, accountId: string): Promise<boolean> {
    const owner = await this.owners.insert(domain, accountId);
    return owner === undefined || owner === accountId;
  }

  /** Frees `domain` if `accountId` owns it (another account's ownership stays, whatever a cache said). */
  async release(domain: string, accountId: string): Promise<void> {
    await this.owners.deleteIfEqual(domain, accountId);
  }

  /** Whether some account owns `domain`. */
  async isOwned(domain: string): Promise<boolean> {
    return (await this.owners.get(domain)) !== undefined;
  }
}
