/**
 * A sending domain as stored: owner, status, DKIM keys (private keys sealed),
 * the last verification and per-domain defaults for the starred send options.
 */
import type { DkimAlgorithm } from './dkim-keys.js';

export interface StoredDkimKey {
  selector: string;
  algorithm: DkimAlgorithm;
  publicKey: string;
  /** PKCS#8 PEM sealed by SecretBox. */
  sealedPrivateKey: string;
  createdAt: number;
}

/** The starred options of POST /v1/mail/send a domain can default. */
export interface DomainDefaults {
  require_tls?: boolean;
  verify_cert?: boolean;
  open_tracking?: boolean;
  click_tracking?: boolean;
  text_click_tracking?: boolean;
  unsubscribe_tracking?: boolean;
  test_mode?: boolean;
  /** Content scanning for mail from this domain (the scan plugins); it can only make the account's stricter. */
  scan?: ScanSettings;
}

/**
 * Content scanning for one account or sending domain. An account's, set by an
 * admin, replaces the scan plugins' own settings, looser or stricter; a
 * domain's, set by the account's owner, can only make the account's stricter
 * (plugins/scan/policy.ts merges them). A field left out falls back.
 */
export interface ScanSettings {
  /**
   * The scan plugins that run (`scan-builtin`, `scan-rspamd`, ...). An account's: default every enabled
   * one, [] runs none. A domain's run besides the account's (never instead of them).
   */
  scanners?: readonly string[];
  /**
   * Spam score at or above which a message is refused (SpamAssassin; rspamd then too). An account's
   * replaces the scanner's own (for rspamd, its reject decision); a domain's counts only where lower.
   */
  spam_threshold?: number;
  /**
   * Dangerous attachment types (executables, scripts, HTML forms, double extensions): refuse or allow.
   * Only an account's may allow them; a domain's `refuse` refuses them whatever the account's says.
   */
  attachments?: 'refuse' | 'allow';
}

export interface RecordCheck {
  purpose: string;
  type: string;
  name: string;
  expected: string;
  status: 'ok' | 'missing' | 'wrong';
  /** What was published instead (empty when nothing). */
  found: string[];
  /** One sentence: what is wrong and what to do. */
  reason?: string;
}

export interface DomainRecord {
  domain: string;
  accountId: string;
  status: 'pending' | 'verified';
  createdAt: number;
  verifiedAt?: number;
  lastCheckedAt?: number;
  dkim: {
    /** The key messages are signed with. */
    active: StoredDkimKey;
    /** A rotation in progress: published alongside, used once verified. */
    next?: StoredDkimKey;
  };
  defaults: DomainDefaults;
  checks?: RecordCheck[];
}
