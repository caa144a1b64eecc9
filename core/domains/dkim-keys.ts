/**
 * DKIM key pairs: generation (RSA 2048 by default, Ed25519 on request), the
 * public key as published in DNS (`v=DKIM1; k=rsa; p=...`), and selectors that
 * change on every rotation so old and new keys can be published side by side.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';

export type DkimAlgorithm = 'rsa' | 'ed25519';

export interface DkimKeyPair {
  selector: string;
  algorithm: DkimAlgorithm;
  privateKeyPem: string;
  /** The p= value: base64 of the public key (SPKI DER for RSA, raw 32 bytes for Ed25519, RFC 8463). */
  publicKey: string;
}

export function generateDkimKey(algorithm: DkimAlgorithm, now: number): DkimKeyPair {
  // selector: date-based and unique, e.g. op20261126a1b2 — readable in DNS, never reused
  const selector = `op${new Date(now).toISOString().slice(0, 10).replaceAll('-', '')}${randomBytes(2).toString('hex')}`;
  if (algorithm === 'ed25519') {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const spki = publicKey.export({ type: 'spki', format: 'der' });
    return {
      selector,
      algorithm,
      privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
      publicKey: spki.subarray(spki.length - 32).toString('base64'),
    };
  }
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    selector,
    algorithm,
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

/** The TXT value to publish at `<selector>._domainkey.<domain>`. */
export function dkimRecordValue(key: Pick<DkimKeyPair, 'algorithm' | 'publicKey'>): string {
  return `v=DKIM1; k=${key.algorithm}; p=${key.publicKey}`;
}

/** The p= tag of a published DKIM record, whitespace removed, or undefined. */
export function publishedPublicKey(record: string): string | undefined {
  const tag = record.split(';').map((part) => part.trim()).find((part) => /^p\s*=/.test(part));
  return tag?.replace(/^p\s*=\s*/, '').replace(/\s+/g, '');
}
