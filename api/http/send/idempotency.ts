/**
 * Idempotency-Key for sends: a retried request with the same key and the same
 * content gets the first receipt back instead of sending twice. Keys are kept
 * 24 hours per account in the shared store (so every node of a cluster agrees).
 * A key is claimed before the message is submitted; a second request meanwhile
 * gets 409, the same key with other content gets 422. A claim whose request
 * failed is released, so the retry can run; a claim whose process died expires
 * after a few minutes instead of blocking the key for the whole day.
 */
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import { outpostError, OutpostError } from '../../../core/errors.js';
import type { SharedStore } from '../../../core/intake.js';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
const KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
const KEEP_RESULT_MS = 24 * 3_600_000;
/** Longer than composing and queueing any message takes; the upload is over before the claim. */
const CLAIM_MS = 10 * 60_000;
const CLAIM_ATTEMPTS = 3;

type KeyRecord<T> = { state: 'in_progress'; fingerprint: string } | { state: 'done'; fingerprint: string; result: T };

/** The request's Idempotency-Key, undefined without one; 400 when it is not 1-255 printable ASCII characters. */
export function idempotencyKeyOf(headerValue: string): string | undefined {
  if (headerValue === '') return undefined;
  if (!KEY_PATTERN.test(headerValue)) {
    const problem = 'must be 1 to 255 printable ASCII characters (a UUID is a good choice)';
    throw outpostError('invalid_request', `invalid request: ${IDEMPOTENCY_KEY_HEADER}: ${problem}`, { details: [{ field: IDEMPOTENCY_KEY_HEADER, problem }] });
  }
  return headerValue;
}

/** A digest of what a request asks for, the same however its JSON keys were ordered. */
export function requestFingerprint(request: unknown): string {
  return createHash('sha256').update(canonicalJson(request)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export class IdempotencyKeys {
  constructor(private readonly store: SharedStore, private readonly logger: Logger) {}

  /** Runs `work` once per (account, key); a repeat gets the stored result with `replayed` true. */
  async run<T>(accountId: string, key: string, fingerprint: string, work: () => Promise<T>): Promise<{ result: T; replayed: boolean }> {
    const storeKey = `idempotency!send!${accountId}!${createHash('sha256').update(key).digest('hex')}`;
    const claim: KeyRecord<T> = { state: 'in_progress', fingerprint };
    const inProgress = (): OutpostError =>
      outpostError('idempotency_in_progress', `the request with ${IDEMPOTENCY_KEY_HEADER} "${key}" is still being processed; retry when it has answered`);
    for (let attempt = 1; !(await this.store.putIfAbsent(storeKey, JSON.stringify(claim), CLAIM_MS)); attempt++) {
      const stored = await this.store.getTemporary(storeKey);
      if (stored === undefined) {
        // released or expired between the two calls: claim it again, a bounded number of times
        if (attempt >= CLAIM_ATTEMPTS) throw inProgress();
        continue;
      }
      const existing = JSON.parse(stored) as KeyRecord<T>;
      if (existing.fingerprint !== fingerprint) {
        throw outpostError('idempotency_key_reused', `${IDEMPOTENCY_KEY_HEADER} "${key}" was used for a different request in the last 24 hours; use a new key for a new message`);
      }
      if (existing.state === 'in_progress') throw inProgress();
      return { result: existing.result, replayed: true };
    }

    let result: T;
    try {
      result = await work();
    } catch (error) {
      await this.store.deleteTemporary(storeKey).catch((releaseError: unknown) => {
        this.logger.warn({ err: releaseError, accountId }, 'could not release an idempotency key; it expires on its own');
      });
      throw error;
    }
    const done: KeyRecord<T> = { state: 'done', fingerprint, result };
    // The message is queued whatever happens now, so a failed write is logged, not answered as a failure.
    await this.store.putWithTtl(storeKey, JSON.stringify(done), KEEP_RESULT_MS).catch((error: unknown) => {
      this.logger.error({ err: error, accountId }, 'could not store the result of an idempotent send; a retry with its key may send again');
    });
    return { result, replayed: false };
  }
}
