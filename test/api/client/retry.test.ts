/**
 * The client's retry decisions (api/client/retry.ts) with fixed numbers: which
 * outcomes are retried, the exponential bound with full jitter, Retry-After
 * honoured and never undercut, and giving up when it asks for too long.
 */
import assert from 'node:assert/strict';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayFor, type TryOutcome } from '../../../api/client/retry.js';

const policy = { retries: 3, baseDelayMs: 500, maxDelayMs: 30_000 };
const answer = (status: number, retryAfterSeconds?: number): TryOutcome => ({ kind: 'answer', status, retryAfterSeconds });
const almostOne = () => 0.999999;

describe('client retry policy', () => {
  it('retries 429 and 503, and no other answer', () => {
    assert.notEqual(retryDelayFor(1, answer(429), false, policy, almostOne), undefined);
    assert.notEqual(retryDelayFor(1, answer(503), false, policy, almostOne), undefined);
    for (const status of [400, 401, 403, 404, 409, 413, 422, 500, 502]) assert.equal(retryDelayFor(1, answer(status), true, policy), undefined, String(status));
  });

  it('grows the bound exponentially, jittered below it, capped at maxDelayMs', () => {
    assert.deepEqual([1, 2, 3].map((attempt) => retryDelayFor(attempt, answer(503), false, policy, almostOne)), [499, 999, 1999]);
    assert.equal(retryDelayFor(1, answer(503), false, policy, () => 0), 0);
    assert.equal(retryDelayFor(3, answer(503), false, { ...policy, maxDelayMs: 700 }, almostOne), 699);
  });

  it('stops after `retries` retries', () => {
    assert.equal(retryDelayFor(4, answer(503), false, policy), undefined);
    assert.equal(retryDelayFor(1, answer(503), false, { ...policy, retries: 0 }), undefined);
  });

  it('waits at least what Retry-After asks, and gives up when it asks for more than maxDelayMs', () => {
    assert.equal(retryDelayFor(1, answer(429, 2), false, policy, () => 0), 2000);
    assert.equal(retryDelayFor(3, answer(429, 1), false, policy, almostOne), 1999);
    assert.equal(retryDelayFor(1, answer(429, 31), false, policy, () => 0), undefined);
  });

  it('retries a network failure only when sending again cannot do the work twice', () => {
    assert.notEqual(retryDelayFor(1, { kind: 'network', maybeProcessed: false }, false, policy), undefined, 'never reached the server');
    assert.notEqual(retryDelayFor(1, { kind: 'network', maybeProcessed: true }, true, policy), undefined, 'idempotent');
    assert.equal(retryDelayFor(1, { kind: 'network', maybeProcessed: true }, false, policy), undefined, 'a POST that may have been done');
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-01-31T12:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7);
    assert.equal(parseRetryAfter('Sat, 31 Jan 2026 12:00:30 GMT', now), 30);
    assert.equal(parseRetryAfter('Sat, 31 Jan 2026 11:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter('soon', now), undefined);
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });

  it('defaults to a few bounded retries', () => {
    assert.ok(DEFAULT_RETRY_POLICY.retries >= 1 && DEFAULT_RETRY_POLICY.maxDelayMs <= 60_000);
  });
});
