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
  /** Content scanning for mail from this domain (the scan plugins); wins over the account's. */
  scan?: ScanSettings;
}

/**
 * Content scanning for one sending domain or account: each field left out
 * falls back to the account's, then to the scan plugins' own settings.
 */
export interface ScanSettings {
  /** The scan plugins that run (`scan-builtin`, `scan-rspamd`, ...); default: every enabled one; [] runs none. */
  scanners?: readonly string[];
  /** Spam score at or above which a message is refused (SpamAssassin; rspamd then too, instead of its own action). */
  spam_threshold?: number;
  /** Dangerous attachment types (executables, scripts, HTML forms, double extensions): refuse them, or allow them. */
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
