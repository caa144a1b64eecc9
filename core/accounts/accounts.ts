/**
 * Accounts and their API keys. A key is `op_<accountId>_<secret>`: the id finds
 * the account, the secret is checked against a stored SHA-256 hash. Keys carry
 * 256 bits of randomness, so a fast hash is enough (a slow password hash guards
 * low-entropy secrets); the comparison is constant-time, and an unknown account
 * costs the same hash as a known one.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ScanSettings } from '../domains/domain-record.js';
import type { DomainService } from '../domains/domains.js';
import { outpostError } from '../errors.js';
import { KeyedSerializer } from '../store/keyed-serializer.js';
import type { SharedCollection, SharedStore } from '../store/shared-store.js';

export interface Account {
  id: string;
  name: string;
  /** paused: sending refused (account_paused) after its bounce or complaint rate crossed a threshold; everything else works. */
  status: 'active' | 'disabled' | 'paused';
  /** Why sending is paused, in words (rates and thresholds), while it is. */
  pausedReason?: string;
  createdAt: number;
  /** Hex SHA-256 of the key's secret part. */
  keyHash: string;
  keyRotatedAt: number;
  /** Content scanning the admin set for the account; a sending domain's own settings win. */
  scan?: ScanSettings;
}

/** What the admin API shows: never the hash. */
export interface AccountView {
  id: string;
  name: string;
  status: Account['status'];
  paused_reason?: string;
  created_at: string;
  key_rotated_at: string;
  scan?: ScanSettings;
}

export function accountView(account: Account): AccountView {
  return {
    id: account.id,
    name: account.name,
    status: account.status,
    ...(account.status === 'paused' && account.pausedReason ? { paused_reason: account.pausedReason } : {}),
    created_at: new Date(account.createdAt).toISOString(),
    key_rotated_at: new Date(account.keyRotatedAt).toISOString(),
    ...(account.scan ? { scan: account.scan } : {}),
  };
}

const KEY_PATTERN = /^op_(a[0-9a-f]{20})_([A-Za-z0-9_-]{43})$/;
const UNKNOWN_ACCOUNT_HASH = hashSecret('x'.repeat(43));

/** The account id a key names in its `op_<id>_` prefix, valid key or not (SMTP AUTH counts failures per claimed account). */
export function accountIdInKey(apiKey: string): string | undefined {
  return KEY_PATTERN.exec(apiKey)?.[1];
}

/** Whether `text` has the shape of an account id (an SMTP AUTH user name may be one). */
export function isAccountId(text: string): boolean {
  return /^a[0-9a-f]{20}$/.test(text);
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

function newKeyFor(accountId: string): { apiKey: string; keyHash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { apiKey: `op_${accountId}_${secret}`, keyHash: hashSecret(secret) };
}

export class AccountService {
  private readonly accounts: SharedCollection<Account>;
  /** Serialises read-modify-write per account, so a rotation and a status change cannot undo each other. */
  private readonly updates = new KeyedSerializer();

  constructor(
    store: SharedStore,
    /** An account's domains go with it, free for whoever verifies them next. */
    private readonly domains: Pick<DomainService, 'deleteAccountDomains'>,
    private readonly now: () => number = Date.now,
  ) {
    this.accounts = store.collection<Account>('accounts');
  }

  async create(name: string): Promise<{ account: Account; apiKey: string }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 100 || /\p{Cc}/u.test(trimmed)) {
      throw outpostError('invalid_request', 'name: give 1-100 printable characters, e.g. {"name": "acme"}');
    }
    const id = `a${randomBytes(10).toString('hex')}`;
    const { apiKey, keyHash } = newKeyFor(id);
    const now = this.now();
    const account: Account = { id, name: trimmed, status: 'active', createdAt: now, keyHash, keyRotatedAt: now };
    await this.accounts.put(id, account);
    return { account, apiKey };
  }

  async list(): Promise<Account[]> {
    return (await this.accounts.list()).sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(id: string): Promise<Account> {
    const account = /^a[0-9a-f]{20}$/.test(id) ? await this.accounts.get(id) : undefined;
    if (!account) throw outpostError('not_found', `no account ${id}`);
    return account;
  }

  /** Sets the status; back to active (enable, resume) clears a pause. */
  setStatus(id: string, status: Account['status']): Promise<Account> {
    return this.update(id, async () => {
      const account: Account = { ...(await this.get(id)), status };
      delete account.pausedReason;
      await this.accounts.put(id, account);
      return account;
    });
  }

  /** Replaces the account's settings that are given (content scanning); the others stay. */
  updateSettings(id: string, settings: { scan?: ScanSettings }): Promise<Account> {
    return this.update(id, async () => {
      const account: Account = { ...(await this.get(id)), ...(settings.scan ? { scan: settings.scan } : {}) };
      await this.accounts.put(id, account);
      return account;
    });
  }

  /** Stops the account's sending, saying why; a disabled account stays disabled. Resolves with whether this paused it. */
  pause(id: string, reason: string): Promise<boolean> {
    return this.update(id, async () => {
      const current = await this.get(id);
      if (current.status !== 'active') return false;
      await this.accounts.put(id, { ...current, status: 'paused', pausedReason: reason });
      return true;
    });
  }

  /** Throws account_paused unless the account may send. */
  async requireSending(id: string): Promise<void> {
    const account = await this.get(id);
    if (account.status === 'paused') {
      throw outpostError('account_paused', `sending is paused for this account: ${account.pausedReason ?? 'its bounce or complaint rate crossed a threshold'}; see GET /v1/account/health, and ask an admin to resume it (POST /v1/accounts/${id}/resume) once the list is cleaned`);
    }
  }

  /** Deletes the account and frees its domains (those first: a failure midway leaves an account whose delete can be retried). */
  delete(id: string): Promise<void> {
    return this.update(id, async () => {
      await this.get(id);
      await this.domains.deleteAccountDomains(id);
      await this.accounts.delete(id);
    });
  }

  /** Replaces the key; the old one stops working at once. */
  rotateKey(id: string): Promise<{ account: Account; apiKey: string }> {
    return this.update(id, async () => {
      const { apiKey, keyHash } = newKeyFor(id);
      const account = { ...(await this.get(id)), keyHash, keyRotatedAt: this.now() };
      await this.accounts.put(id, account);
      return { account, apiKey };
    });
  }

  private update<T>(id: string, change: () => Promise<T>): Promise<T> {
    return this.updates.run(id, change);
  }

  /** The account owning `apiKey` (active or paused: a paused one may still read and manage, not send); unauthorized or forbidden otherwise. */
  async authenticate(apiKey: string): Promise<Account> {
    const match = KEY_PATTERN.exec(apiKey);
    const account = match ? await this.accounts.get(match[1]!) : undefined;
    const expected = Buffer.from(account?.keyHash ?? UNKNOWN_ACCOUNT_HASH, 'hex');
    const given = Buffer.from(hashSecret(match?.[2] ?? apiKey), 'hex');
    if (!timingSafeEqual(expected, given) || !account) {
      throw outpostError('unauthorized', 'invalid API key; send Authorization: Bearer <api_key> with a key from POST /v1/accounts');
    }
    if (account.status === 'disabled') throw outpostError('forbidden', `account ${account.id} is disabled; an admin can enable it again`);
    return account;
  }
}
