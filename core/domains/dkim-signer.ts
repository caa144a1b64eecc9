/**
 * DKIM-Signature (RFC 6376, relaxed/relaxed; RFC 8463 for Ed25519) made with
 * a key that was parsed once.
 *
 * Why not mailauth's dkimSign, which Outpost used before: it takes the key as
 * PEM text and parses it again for every signature (about 0.8 ms for
 * RSA-2048), streams the message through a parser Outpost has no need of
 * (headers and body are already split), and runs the RSA operation
 * synchronously on the event loop. Together that was a third of Outpost's CPU
 * per message. So this module keeps what is worth trusting a library with,
 * mailauth's header selection, canonicalization, body hashing and header
 * formatting, and does itself only the two things mailauth cannot be told to
 * do: hold a parsed KeyObject, and call crypto.sign with a callback, which
 * runs the private-key operation on libuv's thread pool instead of the event
 * loop (so signing uses the machine's other cores).
 */
import { createHash, sign, type KeyObject } from 'node:crypto';
import { dkimBody } from 'mailauth/lib/dkim/body/index.js';
import { generateCanonicalizedHeader } from 'mailauth/lib/dkim/header/index.js';
import { formatSignatureHeaderLine, getSigningHeaderLines, parseHeaders } from 'mailauth/lib/tools.js';
import type { DkimAlgorithm } from './dkim-keys.js';

export interface DkimSigningKey {
  domain: string;
  selector: string;
  algorithm: DkimAlgorithm;
  privateKey: KeyObject;
}

const CANONICALIZATION = 'relaxed/relaxed';

/** The relaxed/sha256 body hash (bh=), base64. */
function dkimBodyHash(body: Buffer): string {
  const hasher = dkimBody('relaxed', 'sha256', false);
  hasher.update(body);
  return hasher.digest('base64');
}

function signAsync(algorithm: string | null, data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    sign(algorithm, data, key, (error, signature) => (error ? reject(error) : resolve(signature)));
  });
}

export interface DkimSignOptions {
  /**
   * Fields listed in h= once more than they occur (RFC 6376 8.15): the extra
   * entry stands for an instance that is not there, so a verifier that finds
   * one more (added on the way, above the signed ones) fails the signature.
   * Only fields that are signed (named in signedHeaders and present) are.
   */
  oversign?: readonly string[];
  signTime?: Date;
}

/**
 * The folded `DKIM-Signature: ...` header line (no trailing CRLF) for a
 * message whose header block (blank line included or not) and body are given.
 * `signedHeaders` names the fields to sign; each present instance is signed.
 */
export async function dkimSignature(headerBlock: Buffer, body: Buffer, key: DkimSigningKey, signedHeaders: readonly string[], options: DkimSignOptions = {}): Promise<string> {
  const algorithm = key.algorithm === 'ed25519' ? 'ed25519-sha256' : 'rsa-sha256';
  const signingLines = getSigningHeaderLines(parseHeaders(headerBlock).parsed, signedHeaders.join(':'));
  const signed = new Set(signingLines.headers.map((header) => header.key));
  const oversigned = (options.oversign ?? []).filter((name) => signed.has(name.toLowerCase()));
  // an h= entry with no instance left adds nothing to the hashed header (RFC 6376 5.4.2), so only the list grows
  if (oversigned.length > 0) signingLines.keys = [signingLines.keys, ...oversigned].join(': ');
  const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader('DKIM', signingLines, {
    signingDomain: key.domain,
    selector: key.selector,
    algorithm,
    canonicalization: CANONICALIZATION,
    bodyHash: dkimBodyHash(body),
    signTime: options.signTime ?? new Date(),
  });
  // RFC 8463 3: Ed25519 signs the SHA-256 of the canonicalized header, RSA signs it with its own digest
  const signature = key.algorithm === 'ed25519'
    ? await signAsync(null, createHash('sha256').update(canonicalizedHeader).digest(), key.privateKey)
    : await signAsync('sha256', canonicalizedHeader, key.privateKey);
  return formatSignatureHeaderLine('DKIM', { ...dkimHeaderOpts, b: signature.toString('base64') }, true);
}
