/**
 * Sending domains: an account's claim of a domain (a fresh DKIM key, the
 * records to publish), verification, per-domain send defaults, DKIM rotation,
 * and the signing key for the sign stage. Several accounts may claim one
 * domain; DNS decides which of them sends from it (ownership.ts), so a claim
 * made first blocks nobody, and one never verified expires after
 * OUTPOST_DOMAIN_CLAIM_EXPIRY. Another account's claim answers 404 like a
 * missing one, and adding a domain never tells whether another account holds it.
 */
import { createPrivateKey } from 'node:crypto';
import type { Logger } from 'pino';
import type { DnsResolver } from '../dns-resolver.js';
import { outpostError } from '../errors.js';
import type { EventBus } from '../events.js';
import { KeyedSerializer } from '../store/keyed-serializer.js';
import type { SharedCollection, SharedStore } from '../store/shared-store.js';
import { generateDkimKey, type DkimAlgorithm } from './dkim-keys.js';
import type { DkimSigningKey } from './dkim-signer.js';
import { expectedRecords, type DnsRecord, type SendingIdentity } from './dns-records.js';
import type { DomainDefaults, DomainRecord, StoredDkimKey } from './domain-record.js';
import { DomainOwners, OwnershipTokens } from './ownership.js';
import type { SecretBox } from './secret-box.js';
import { verifyRecords } from './verify.js';

export interface DomainServiceDeps {
  store: SharedStore;
  box: SecretBox;
  resolver: DnsResolver;
  identity: SendingIdentity;
  events: EventBus;
  logger: Logger;
  now: () => number;
  /** OUTPOST_DOMAIN_CLAIM_EXPIRY: how long a claim may stay unverified. */
  claimExpiryMs: number;
}

/** Why a verified claim whose records are fine went back to pending (another account took the domain in a race). */
const VERIFIED_ELSEWHERE = 'the domain is verified by another account';

const DOMAIN_NAME = /^(?=.{4,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;

/** A domain name as stored: lower case, no trailing dot. */
function normalised(name: string): string {
  return name.trim().toLowerCase().replace(/\.$/, '');
}

/** The key of one account's claim of one domain. */
function claimId(domain: string, accountId: string): string {
  return `${domain}/${accountId}`;
}

export class DomainService {
  private readonly claims: SharedCollection<DomainRecord>;
  private readonly owners: DomainOwners;
  private readonly tokens: OwnershipTokens;
  /** By claim id: two accounts' claims of one domain have keys of their own. */
  private readonly signingKeys = new Map<string, DkimSigningKey>();
  /** Read-modify-write of one claim never interleaves (create vs create, verify vs rotate vs delete). */
  private readonly perClaim = new KeyedSerializer();

  constructor(private readonly deps: DomainServiceDeps) {
    this.claims = deps.store.collection<DomainRecord>('domain-claims');
    this.owners = new DomainOwners(deps.store);
    this.tokens = new OwnershipTokens(deps.box.deriveKey('domain ownership'));
  }

  records(record: DomainRecord): DnsRecord[] {
    return expectedRecords(record, this.deps.identity, this.tokens.valueFor(record.accountId, record.domain));
  }

  /** When the claim lapses unless verified first; undefined once it has been verified (losing that later stops sending, not the claim). */
  expiresAt(record: DomainRecord): number | undefined {
    return record.verifiedAt === undefined ? record.createdAt + this.deps.claimExpiryMs : undefined;
  }

  async create(accountId: string, name: string, algorithm: DkimAlgorithm = 'rsa'): Promise<DomainRecord> {
    const domain = normalised(name);
    if (!DOMAIN_NAME.test(domain)) throw outpostError('invalid_request', `domain: "${name}" is not a domain name like example.com`);
    return this.perClaim.run(claimId(domain, accountId), () => this.createUnlocked(accountId, domain, algorithm));
  }

  private async createUnlocked(accountId: string, domain: string, algorithm: DkimAlgorithm): Promise<DomainRecord> {
    // only this account's own claim is looked at: whether another account holds the domain is not its business
    if (await this.current(accountId, domain)) throw outpostError('domain_exists', `${domain} is already added; verify it with POST /v1/domains/${domain}/verify`);
    const now = this.deps.now();
    const record: DomainRecord = { domain, accountId, status: 'pending', createdAt: now, dkim: { active: this.newKey(algorithm, now) }, defaults: {} };
    await this.claims.put(claimId(domain, accountId), record);
    return record;
  }

  async get(accountId: string, name: string): Promise<DomainRecord> {
    const record = await this.current(accountId, normalised(name));
    if (!record) throw outpostError('not_found', `no domain ${name} in this account (one not verified in time is removed); add it with POST /v1/domains`);
    return record;
  }

  async list(accountId: string): Promise<DomainRecord[]> {
    return (await this.claims.list()).filter((record) => record.accountId === accountId && !this.isExpired(record)).sort((a, b) => a.domain.localeCompare(b.domain));
  }

  updateDefaults(accountId: string, name: string, defaults: DomainDefaults): Promise<DomainRecord> {
    return this.perClaim.run(claimId(normalised(name), accountId), async () => {
      const record = await this.get(accountId, name);
      const updated = { ...record, defaults: { ...record.defaults, ...defaults } };
      await this.claims.put(claimId(record.domain, accountId), updated);
      return updated;
    });
  }

  /** Removes the claim; if it owned the domain, the domain is free for whoever verifies it next. */
  delete(accountId: string, name: string): Promise<void> {
    return this.perClaim.run(claimId(normalised(name), accountId), async () => this.remove(await this.get(accountId, name)));
  }

  /** Removes every claim of an account being deleted, so its domains are free again. */
  async deleteAccountDomains(accountId: string): Promise<void> {
    for (const record of await this.claims.list()) {
      if (record.accountId === accountId) await this.perClaim.run(claimId(record.domain, accountId), () => this.remove(record));
    }
  }

  /** Starts a rotation: a new key to publish next to the current one, used once verified. */
  rotateDkim(accountId: string, name: string, algorithm?: DkimAlgorithm): Promise<DomainRecord> {
    return this.perClaim.run(claimId(normalised(name), accountId), async () => {
      const record = await this.get(accountId, name);
      const next = this.newKey(algorithm ?? record.dkim.active.algorithm, this.deps.now());
      const updated = { ...record, dkim: { ...record.dkim, next } };
      await this.claims.put(claimId(record.domain, accountId), updated);
      return updated;
    });
  }

  /**
   * Looks the records up and stores the result. A rotation completes here: once
   * the new DKIM key is published, it becomes the signing key. Throws
   * domain_verified_elsewhere when every record is published but another
   * account verified the domain first.
   */
  verify(accountId: string, name: string): Promise<DomainRecord> {
    return this.perClaim.run(claimId(normalised(name), accountId), async () => this.check(await this.get(accountId, name)));
  }

  /**
   * Scheduled: removes expired claims and re-checks every verified one; those
   * whose records went away go back to pending and free the domain.
   */
  async reverifyAll(): Promise<void> {
    for (const record of await this.claims.list()) {
      if (record.status !== 'verified' && !this.isExpired(record)) continue;
      await this.perClaim.run(claimId(record.domain, record.accountId), async () => {
        // re-read under the lock: a rotation or delete may have happened since the list; an expired claim goes here
        const current = await this.current(record.accountId, record.domain);
        if (current?.status === 'verified') await this.check(current);
      }).catch((error: unknown) => this.deps.logger.warn({ err: error, domain: record.domain, accountId: record.accountId }, 'scheduled domain verification failed'));
    }
  }

  /** True when some account verified `name`: its bounce subdomain is Outpost's (a claim nobody verified proves nothing). */
  async isRegistered(name: string): Promise<boolean> {
    return this.owners.isOwned(name.toLowerCase());
  }

  /** The verified domain `name` if `accountId` holds it. */
  async verifiedDomain(accountId: string, name: string): Promise<DomainRecord | undefined> {
    const record = await this.claims.get(claimId(name.toLowerCase(), accountId));
    return record?.status === 'verified' ? record : undefined;
  }

  /**
   * The verified domain of `address` (its part after the last @) for `accountId`,
   * or the domain_not_verified error with the one reply text every front end and
   * plugin gives for it.
   */
  async requireVerified(accountId: string, address: string): Promise<DomainRecord> {
    const domain = address.slice(address.lastIndexOf('@') + 1).toLowerCase();
    const record = await this.verifiedDomain(accountId, domain);
    if (!record) {
      throw outpostError(
        'domain_not_verified',
        `${domain} is not a verified sending domain of this account: add it with POST /v1/domains, publish its dns_records, then POST /v1/domains/${domain}/verify`,
      );
    }
    return record;
  }

  /** The key to sign mail from `record.domain` with (decrypted and parsed once per key). */
  signingKeyFor(record: DomainRecord): DkimSigningKey {
    const key = record.dkim.active;
    const id = claimId(record.domain, record.accountId);
    const cached = this.signingKeys.get(id);
    if (cached && cached.selector === key.selector) return cached;
    const signing: DkimSigningKey = {
      domain: record.domain,
      selector: key.selector,
      algorithm: key.algorithm,
      privateKey: createPrivateKey(this.deps.box.open(key.sealedPrivateKey)),
    };
    this.signingKeys.set(id, signing);
    return signing;
  }

  private async check(record: DomainRecord): Promise<DomainRecord> {
    const now = this.deps.now();
    const checks = await verifyRecords(this.records(record), this.deps.identity, this.deps.resolver);
    const nextSelector = record.dkim.next?.selector;
    const nextPublished = nextSelector !== undefined && checks.some((item) => item.purpose === 'dkim' && item.name.startsWith(`${nextSelector}.`) && item.status === 'ok');
    // the old key's record may disappear once the new one is active; only the signing key must be published
    const required = checks.filter((item) => item.purpose !== 'dkim' || item.name.startsWith(`${nextPublished ? nextSelector : record.dkim.active.selector}.`));
    const published = required.every((item) => item.status === 'ok');
    // the owner entry before the claim: a crash between the two leaves an owner whose claim is pending, which its next verification completes
    const owned = published && (await this.owners.take(record.domain, record.accountId));
    const verified = published && owned;
    const dkim = nextPublished && verified ? { active: record.dkim.next! } : record.dkim;
    const updated: DomainRecord = {
      ...record,
      dkim,
      status: verified ? 'verified' : 'pending',
      lastCheckedAt: now,
      ...(verified ? { verifiedAt: record.status === 'verified' ? (record.verifiedAt ?? now) : now } : {}),
      checks,
    };
    await this.claims.put(claimId(record.domain, record.accountId), updated);
    if (verified && record.status !== 'verified') this.deps.events.emit('domain:verified', { domain: record.domain, accountId: record.accountId, at: now });
    if (!verified && record.status === 'verified') {
      await this.owners.release(record.domain, record.accountId);
      const problems = published ? [VERIFIED_ELSEWHERE] : required.filter((item) => item.status !== 'ok').map((item) => item.reason ?? `${item.name}: ${item.status}`);
      this.deps.events.emit('domain:unverified', { domain: record.domain, accountId: record.accountId, at: now, problems });
      this.deps.logger.warn({ domain: record.domain, accountId: record.accountId, problems }, 'domain lost its verification; its mail is refused until the records are fixed');
    }
    // said only to an account whose own records are all published: one that proves nothing learns nothing
    if (published && !owned) {
      throw outpostError('domain_verified_elsewhere', `${record.domain} is verified by another account, and a domain sends from one account at a time; verify again once that account has deleted it or its records no longer verify`);
    }
    return updated;
  }

  /** Whether `record` is a claim never verified in time. */
  private isExpired(record: DomainRecord): boolean {
    const expiresAt = this.expiresAt(record);
    return expiresAt !== undefined && expiresAt <= this.deps.now();
  }

  /** `accountId`'s claim of `domain`, unless it expired: an expired one is removed on the way (lazily; reverifyAll sweeps the rest). */
  private async current(accountId: string, domain: string): Promise<DomainRecord | undefined> {
    const record = await this.claims.get(claimId(domain, accountId));
    if (!record || !this.isExpired(record)) return record;
    await this.remove(record);
    return undefined;
  }

  /** The claim goes first, then the ownership: never an owner-less verified claim. */
  private async remove(record: DomainRecord): Promise<void> {
    const id = claimId(record.domain, record.accountId);
    await this.claims.delete(id);
    await this.owners.release(record.domain, record.accountId);
    this.signingKeys.delete(id);
  }

  private newKey(algorithm: DkimAlgorithm, now: number): StoredDkimKey {
    const pair = generateDkimKey(algorithm, now);
    return { selector: pair.selector, algorithm, publicKey: pair.publicKey, sealedPrivateKey: this.deps.box.seal(pair.privateKeyPem), createdAt: now };
  }
}
