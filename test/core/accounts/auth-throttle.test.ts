/**
 * AuthThrottle over the embedded shared store with a fake clock: free failures,
 * the doubling delay and its cap, lockout per key and counting afresh after it,
 * the failure window. (test/core/state/cluster.test.ts: the same counts shared
 * by two nodes through Redis.)
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Spool } from '../../../core/spool/spool.js';
import { LevelSharedStore } from '../../../core/store/level-shared-store.js';
import { AuthThrottle } from '../../../core/accounts/auth-throttle.js';

const SETTINGS = { freeFailures: 2, delayMs: 100, maxDelayMs: 350, lockoutFailures: 6, lockoutMs: 60_000, windowMs: 30_000 };

describe('AuthThrottle', () => {
  let now: number;
  let directory: string;
  let spool: Spool;
  let store: LevelSharedStore;
  let throttle: AuthThrottle;

  beforeEach(async () => {
    now = 1_000_000;
    directory = await mkdtemp(path.join(os.tmpdir(), 'outpost-throttle-'));
    spool = await Spool.open(directory);
    store = new LevelSharedStore(spool.db, spool.committer, () => now);
    throttle = new AuthThrottle(SETTINGS, store, () => now);
  });

  afterEach(async () => {
    await store.close();
    await spool.close();
    await rm(directory, { recursive: true, force: true });
  });

  const fail = async (keys: string[]) => throttle.recordFailure(keys);

  it('answers the free failures at once, then doubles the delay up to the cap', async () => {
    const delays = [];
    for (let i = 0; i < 5; i++) delays.push((await fail(['ip:1'])).delayMs);
    assert.deepEqual(delays, [0, 0, 100, 200, 350]);
  });

  it('locks a key out at lockoutFailures, for lockoutMs, then counts afresh', async () => {
    for (let i = 0; i < 5; i++) assert.deepEqual((await fail(['ip:1'])).lockedOut, []);
    assert.equal(await throttle.lockedFor(['ip:1']), 0);
    assert.deepEqual((await fail(['ip:1', 'account:a'])).lockedOut, ['ip:1']);
    assert.equal(await throttle.lockedFor(['ip:2', 'ip:1']), 60_000);
    assert.equal(await throttle.lockedFor(['ip:2']), 0);
    now += 20_000;
    assert.equal(await throttle.lockedFor(['ip:1']), 40_000);
    // still in the failure window: the next failures count from 1 again, and the sixth locks once more
    const delays = [];
    for (let i = 0; i < 5; i++) delays.push((await fail(['ip:1'])).delayMs);
    assert.deepEqual(delays, [0, 0, 100, 200, 350]);
    assert.deepEqual((await fail(['ip:1'])).lockedOut, ['ip:1']);
    now += 59_999;
    assert.equal(await throttle.lockedFor(['ip:1']), 1);
    now += 1;
    assert.equal(await throttle.lockedFor(['ip:1']), 0);
    assert.equal((await fail(['ip:1'])).delayMs, 0);
  });

  it('uses the longest delay of the keys, so spreading over addresses does not help against the account key', async () => {
    for (let i = 0; i < 4; i++) await fail([`ip:${i}`, 'account:a']);
    assert.equal((await fail(['ip:9', 'account:a'])).delayMs, 350);
  });

  it('forgets failures once their window has passed', async () => {
    await fail(['ip:1']);
    await fail(['ip:1']);
    now += 30_001;
    assert.equal((await fail(['ip:1'])).delayMs, 0);
    assert.equal((await fail(['ip:1'])).delayMs, 0);
    assert.equal((await fail(['ip:1'])).delayMs, 100);
  });
});
