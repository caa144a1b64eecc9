/**
 * AuthThrottle with a fake clock: free failures, the doubling delay and its
 * cap, lockout per key, the failure window, and forgetting old keys.
 */
import assert from 'node:assert/strict';
import { AuthThrottle } from '../../../core/submission/auth-throttle.js';

const SETTINGS = { freeFailures: 2, delayMs: 100, maxDelayMs: 350, lockoutFailures: 6, lockoutMs: 60_000, windowMs: 30_000 };

describe('AuthThrottle', () => {
  let now: number;
  let throttle: AuthThrottle;

  beforeEach(() => {
    now = 1_000_000;
    throttle = new AuthThrottle(SETTINGS, () => now);
  });

  it('answers the free failures at once, then doubles the delay up to the cap', () => {
    const delays = Array.from({ length: 5 }, () => throttle.recordFailure(['ip:1']).delayMs);
    assert.deepEqual(delays, [0, 0, 100, 200, 350]);
  });

  it('locks a key out at lockoutFailures, for lockoutMs, then counts afresh', () => {
    for (let i = 0; i < 5; i++) assert.deepEqual(throttle.recordFailure(['ip:1']).lockedOut, []);
    assert.equal(throttle.lockedFor(['ip:1']), 0);
    assert.deepEqual(throttle.recordFailure(['ip:1', 'account:a']).lockedOut, ['ip:1']);
    assert.equal(throttle.lockedFor(['ip:2', 'ip:1']), 60_000);
    assert.equal(throttle.lockedFor(['ip:2']), 0);
    now += 59_999;
    assert.equal(throttle.lockedFor(['ip:1']), 1);
    now += 1;
    assert.equal(throttle.lockedFor(['ip:1']), 0);
    assert.equal(throttle.recordFailure(['ip:1']).delayMs, 0);
  });

  it('uses the longest delay of the keys, so spreading over addresses does not help against the account key', () => {
    for (let i = 0; i < 4; i++) throttle.recordFailure([`ip:${i}`, 'account:a']);
    assert.equal(throttle.recordFailure(['ip:9', 'account:a']).delayMs, 350);
  });

  it('forgets failures older than the window', () => {
    throttle.recordFailure(['ip:1']);
    throttle.recordFailure(['ip:1']);
    now += 30_001;
    assert.equal(throttle.recordFailure(['ip:1']).delayMs, 0);
  });

  it('sweeps keys with nothing recent once many are tracked', () => {
    for (let i = 0; i <= 10_001; i++) throttle.recordFailure([`ip:${i}`]);
    now += 30_001;
    throttle.recordFailure(['ip:new']);
    assert.equal((throttle as unknown as { keys: Map<string, unknown> }).keys.size, 1);
  });
});
