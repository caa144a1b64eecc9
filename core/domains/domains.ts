/**
 * Sending domains: registration with a fresh DKIM key, the records to publish,
 * verification, per-domain send defaults, DKIM rotation, and the signing key
 * for the sign stage. A domain belongs to one account; another account's
 * domain answers 404 like a missing one.
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
}

const DOMAIN_NAME = /^(?=.{4,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z]{2,63}$/;

export class DomainService {
  private readonly domains: SharedCollection<DomainRecord>;
  private readonly signingKeys = new Map<string, DkimSigningKey>();
  /** Read-modify-write of one domain never interleaves (create vs create, verify vs rotate). */
  private readonly perDomain = new KeyedSerializer();

  constructor(private readonly deps: DomainServiceDeps) {
    this.domains = deps.store.collection<DomainRecord>('domains');
  }

  records(record: DomainRecord): DnsRecord[] {
    return expectedRecords(record, this.deps.identity);
  }

  async create(accountId: string, name: string, algorithm: DkimAlgorithm = 'rsa'): Promise<DomainRecord> {
    const domain = name.trim().toLowerCase().replace(/\.$/, '');
    if (!DOMAIN_NAME.test(domain)) throw outpostError('invalid_request', `domain: "${name}" is not a domain name like example.com`);
    return this.perDomain.run(domain, () => this.createUnlocked(accountId, domain, algorithm));
  }

  private async createUnlocked(accountId: string, domain: string, algorithm: DkimAlgorithm): Promise<DomainRecord> {
    const existing = await this.domains.get(domain);
    if (existing) {
      throw outpostError('domain_exists', existing.accountId === accountId ? `${domain} is already added; verify it with POST /v1/domains/${domain}/verify` : `${domain} is registered by another account`);
    }
    const now = this.deps.now();
    const record: DomainRecord = { domain, accountId, status: 'pending', createdAt: now, dkim: { active: this.newKey(algorithm, now) }, defaults: {} };
    await this.domains.put(domain, record);
    return record;
  }

  async get(accountId: string, name: string): Promise<DomainRecord> {
    const record = await this.domains.get(name.toLowerCase());
    if (!record || record.accountId !== accountId) throw outpostError('not_found', `no domain ${name} in this account; add it with POST /v1/domains`);
    return record;
  }

  async list(accountId: string): Promise<DomainRecord[]> {
    return (await this.domains.list()).filter((record) => record.accountId === accountId).sort((a, b) => a.domain.localeCompare(b.domain));
  }

  updateDefaults(accountId: string, name: string, defaults: DomainDefaults): Promise<DomainRecord> {
    return this.perDomain.run(name.toLowerCase(), async () => {
      const record = await this.get(accountId, name);
      const updated = { ...record, defaults: { ...record.defaults, ...defaults } };
      await this.domains.put(record.domain, updated);
      return updated;
    });
  }

  async delete(accountId: string, name: string): Promise<void> {
    const record = await this.get(accountId, name);
    await this.domains.delete(record.domain);
    this.signingKeys.delete(record.domain);
  }

  /** Starts a rotation: a new key to publish next to the current one, used once verified. */
  rotateDkim(accountId: string, name: string, algorithm?: DkimAlgorithm): Promise<DomainRecord> {
    return this.perDomain.run(name.toLowerCase(), async () => {
      const record = await this.get(accountId, name);
      const next = this.newKey(algorithm ?? record.dkim.active.algorithm, this.deps.now());
      const updated = { ...record, dkim: { ...record.dkim, next } };
      await this.domains.put(record.domain, updated);
      return updated;
    });
  }

  /**
   * Looks the records up and stores the result. A rotation completes here: once
   * the new DKIM key is published, it becomes the signing key.
   */
  verify(accountId: string, name: string): Promise<DomainRecord> {
    return this.perDomain.run(name.toLowerCase(), async () => this.check(await this.get(accountId, name)));
  }

  /** Re-checks every verified domain (scheduled); those whose records went away go back to pending. */
  async reverifyAll(): Promise<void> {
    for (const record of await this.domains.list()) {
      if (record.status !== 'verified') continue;
      await this.perDomain.run(record.domain, async () => {
        // re-read under the lock: a rotation or delete may have happened since the list
        const current = await this.domains.get(record.domain);
        if (current?.status === 'verified') await this.check(current);
      }).catch((error: unknown) => this.deps.logger.warn({ err: error, domain: record.domain }, 'scheduled domain verification failed'));
    }
  }

  /** True when `name` is registered by some account (verified or not): its bounce subdomain is Outpost's. */
  async isRegistered(name: string): Promise<boolean> {
    return (await this.domains.get(name.toLowerCase())) !== undefined;
  }

  /** The verified domain `name` if it belongs to `accountId`. */
  async verifiedDomain(accountId: string, name: string): Promise<DomainRecord | undefined> {
    const record = await this.domains.get(name.toLowerCase());
    return record && record.accountId === accountId && record.status === 'verified' ? record : undefined;
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
    const cached = this.signingKeys.get(record.domain);
    if (cached && cached.selector === key.selector) return cached;
    const signing: DkimSigningKey = {
      domain: record.domain,
      selector: key.selector,
      algorithm: key.algorithm,
      privateKey: createPrivateKey(this.deps.box.open(key.sealedPrivateKey)),
    };
    this.signingKeys.set(record.domain, signing);
    return signing;
  }

  private async check(record: DomainRecord): Promise<DomainRecord> {
    const now = this.deps.now();
    const checks = await verifyRecords(this.records(record), this.deps.identity, this.deps.resolver);
    const nextSelector = record.dkim.next?.selector;
    const nextPublished = nextSelector !== undefined && checks.some((item) => item.purpose === 'dkim' && item.name.startsWith(`${nextSelector}.`) && item.status === 'ok');
    // the old key's record may disappear once the new one is active; only the signing key must be published
    const required = checks.filter((item) => item.purpose !== 'dkim' || item.name.startsWith(`${nextPublished ? nextSelector : record.dkim.active.selector}.`));
    const verified = required.every((item) => item.status === 'ok');
    const dkim = nextPublished && verified ? { active: record.dkim.next! } : record.dkim;
    const updated: DomainRecord = {
      ...record,
      dkim,
      status: verified ? 'verified' : 'pending',
      lastCheckedAt: now,
      ...(verified ? { verifiedAt: record.status === 'verified' ? (record.verifiedAt ?? now) : now } : {}),
      checks,
    };
    await this.domains.put(record.domain, updated);
    if (verified && record.status !== 'verified') this.deps.events.emit('domain:verified', { domain: record.domain, accountId: record.accountId, at: now });
    if (!verified && record.status === 'verified') {
      const problems = required.filter((item) => item.status !== 'ok').map((item) => item.reason ?? `${item.name}: ${item.status}`);
      this.deps.events.emit('domain:unverified', { domain: record.domain, accountId: record.accountId, at: now, problems });
      this.deps.logger.warn({ domain: record.domain, problems }, 'domain lost its verification; its mail is refused until the records are fixed');
    }
    return updated;
  }

  private newKey(algorithm: DkimAlgorithm, now: number): StoredDkimKey {
    const pair = generateDkimKey(algorithm, now);
    return { selector: pair.selector, algorithm, publicKey: pair.publicKey, sealedPrivateKey: this.deps.box.seal(pair.privateKeyPem), createdAt: now };
  }
}
