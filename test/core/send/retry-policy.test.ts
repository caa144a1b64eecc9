// Tests core/scheduler/retry-policy.ts: retryDelayFor and decideAfterTemporaryFailure (retry, clamp, give-up).
import assert from 'node:assert/strict';
import { decideAfterTemporaryFailure, retryDelayFor, type RetryPolicy } from '../../../core/send/retry-policy.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe('retryDelayFor', () => {
  const schedule = [5 * MINUTE, 10 * MINUTE, 30 * MINUTE];

  it('uses the n-th delay after the n-th attempt', () => {
    assert.equal(retryDelayFor(1, schedule), 5 * MINUTE);
    assert.equal(retryDelayFor(2, schedule), 10 * MINUTE);
    assert.equal(retryDelayFor(3, schedule), 30 * MINUTE);
  });

  it('repeats the last delay for every later attempt', () => {
    assert.equal(retryDelayFor(4, schedule), 30 * MINUTE);
    assert.equal(retryDelayFor(1000, schedule), 30 * MINUTE);
  });

  it('treats attempt counts below 1 as the first attempt', () => {
    assert.equal(retryDelayFor(0, schedule), 5 * MINUTE);
    assert.equal(retryDelayFor(-3, schedule), 5 * MINUTE);
  });

  it('works with a one-step schedule', () => {
    assert.equal(retryDelayFor(1, [HOUR]), HOUR);
    assert.equal(retryDelayFor(7, [HOUR]), HOUR);
  });
});

describe('decideAfterTemporaryFailure', () => {
  const policy: RetryPolicy = { scheduleMs: [5 * MINUTE, 10 * MINUTE, HOUR], maxQueueTimeMs: DAY };
  const queuedAt = 1_700_000_000_000;

  it('retries at now + the scheduled delay', () => {
    assert.deepEqual(decideAfterTemporaryFailure(1, queuedAt, queuedAt + 1000, policy), { action: 'retry', nextAttemptAt: queuedAt + 1000 + 5 * MINUTE });
    assert.deepEqual(decideAfterTemporaryFailure(2, queuedAt, queuedAt + HOUR, policy), { action: 'retry', nextAttemptAt: queuedAt + HOUR + 10 * MINUTE });
    assert.deepEqual(decideAfterTemporaryFailure(9, queuedAt, queuedAt + 2 * HOUR, policy), { action: 'retry', nextAttemptAt: queuedAt + 3 * HOUR });
  });

  it('clamps the next attempt to the moment the queue time runs out', () => {
    const now = queuedAt + DAY - 10 * MINUTE;
    assert.deepEqual(decideAfterTemporaryFailure(5, queuedAt, now, policy), { action: 'retry', nextAttemptAt: queuedAt + DAY });
  });

  it('still retries one millisecond before expiry, at expiry', () => {
    assert.deepEqual(decideAfterTemporaryFailure(5, queuedAt, queuedAt + DAY - 1, policy), { action: 'retry', nextAttemptAt: queuedAt + DAY });
  });

  it('gives up exactly at expiry, naming OUTPOST_MAX_QUEUE_TIME', () => {
    const decision = decideAfterTemporaryFailure(7, queuedAt, queuedAt + DAY, policy);
    assert.equal(decision.action, 'give-up');
    assert.ok(decision.action === 'give-up');
    assert.match(decision.reason, /OUTPOST_MAX_QUEUE_TIME/);
    assert.match(decision.reason, /7 attempts/);
    assert.match(decision.reason, /1d/);
  });

  it('gives up after expiry, with the singular for one attempt', () => {
    const decision = decideAfterTemporaryFailure(1, queuedAt, queuedAt + 3 * DAY, { scheduleMs: [MINUTE], maxQueueTimeMs: DAY });
    assert.ok(decision.action === 'give-up');
    assert.match(decision.reason, /after 1 attempt over 3d/);
    assert.match(decision.reason, /OUTPOST_MAX_QUEUE_TIME/);
  });

  it('gives up at once with a zero queue time', () => {
    const decision = decideAfterTemporaryFailure(1, queuedAt, queuedAt, { scheduleMs: [MINUTE], maxQueueTimeMs: 0 });
    assert.ok(decision.action === 'give-up');
    assert.match(decision.reason, /0ms/);
  });
});
