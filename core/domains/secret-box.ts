/**
 * Encryption at rest for DKIM private keys: AES-256-GCM with a key from
 * OUTPOST_SECRET_KEY (64 hex chars) or one generated into the data dir
 * (secret.key, mode 0600) at first start. A stolen store dump alone does not
 * let anyone sign as a customer's domain.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { outpostError } from '../errors.js';

export class SecretBox {
  private constructor(private readonly key: Buffer) {}

  static async load(configured: string | undefined, dataDir: string): Promise<SecretBox> {
    if (configured) {
      if (!/^[0-9a-fA-F]{64}$/.test(configured)) throw outpostError('config_invalid', 'OUTPOST_SECRET_KEY must be 64 hex characters (32 bytes); generate one with: openssl rand -hex 32');
      return new SecretBox(Buffer.from(configured, 'hex'));
    }
    const file = path.join(dataDir, 'secret.key');
    try {
      return new SecretBox(Buffer.from((await readFile(file, 'utf8')).trim(), 'hex'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const key = randomBytes(32);
    await writeFile(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    return new SecretBox(key);
  }

  /**
   * A key of its own for `purpose` (HKDF-SHA256 of the secret key), so signing
   * return paths never uses the key that seals DKIM keys, and a leak of one
   * derived key reveals neither the secret nor another derived key.
   */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, Buffer.alloc(0), `outpost ${purpose}`, 32));
  }

  /** `v1.<iv>.<tag>.<ciphertext>`, base64url parts. */
  seal(plaintext: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv, cipher.getAuthTag(), sealed].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join('.');
  }

  open(sealed: string): string {
    const [version, iv, tag, data] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || data === undefined) throw new Error('sealed value has an unknown format');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
