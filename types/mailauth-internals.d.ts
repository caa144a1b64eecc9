/**
 * Types for the parts of mailauth's DKIM implementation that
 * core/domains/dkim-signer.ts uses directly (mailauth types only its public
 * functions). Shapes as in mailauth 4.13.3 lib/tools.js and lib/dkim/, the
 * version package.json pins exactly (test/plugins/dkim-sign.test.ts checks both).
 */
declare module 'mailauth/lib/tools.js' {
  export interface ParsedHeaderLine {
    key: string | null;
    casedKey: string | undefined;
    line: Buffer;
  }
  export interface SigningHeaderLines {
    keys: string;
    headers: ParsedHeaderLine[];
  }
  export function parseHeaders(headerBlock: Buffer): { parsed: ParsedHeaderLine[]; original: Buffer };
  /** `fieldNames`: colon-separated header names (an array is silently replaced by mailauth's defaults). */
  export function getSigningHeaderLines(parsed: ParsedHeaderLine[], fieldNames: string): SigningHeaderLines;
  export function formatSignatureHeaderLine(type: 'DKIM', values: Record<string, string | number>, folded: boolean): string;
}

declare module 'mailauth/lib/dkim/body/index.js' {
  export interface BodyHasher {
    update(chunk: Buffer): void;
    digest(encoding: 'base64'): string;
  }
  export function dkimBody(canonicalization: 'relaxed' | 'simple', hashAlgorithm: 'sha256', maxBodyLength: false): BodyHasher;
}

declare module 'mailauth/lib/dkim/header/index.js' {
  import type { SigningHeaderLines } from 'mailauth/lib/tools.js';
  export function generateCanonicalizedHeader(
    type: 'DKIM',
    signingHeaderLines: SigningHeaderLines,
    options: { signingDomain: string; selector: string; algorithm: string; canonicalization: string; bodyHash: string; signTime?: Date },
  ): { canonicalizedHeader: Buffer; signatureHeaderLine: string; dkimHeaderOpts: Record<string, string | number> };
}
