// Tests core/spool/group-commit.ts GroupCommitter on a real LevelDB: concurrent writes share batches; failures reject with StorageError and show in `failing`.
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Level } from 'level';
import { GroupCommitter } from '../../../core/spool/group-commit.js';
import { isOutpostError } from '../../../core/errors.js';

describe('GroupCommitter', () => {
  let dir: string;
  let db: Level<string, Buffer>;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'outpost-group-commit-'));
    db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
    await db.open();
  });

  afterEach(async () => {
    if (db.status !== 'closed') await db.close();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('resolves 50 concurrent writes in fewer than 50 synced batches', async () => {
    const committer = new GroupCommitter(db);
    const batches: { ms: number; writes: number }[] = [];
    committer.onBatchWritten = (ms, writes) => batches.push({ ms, writes });

    const writes = Array.from({ length: 50 }, (_, i) =>
      committer.write([
        { type: 'put', key: `k!${String(i).padStart(2, '0')}`, value: Buffer.from(`value ${i}`) },
        { type: 'put', key: `j!${String(i).padStart(2, '0')}`, value: Buffer.from([i]) },
      ]),
    );
    const results = await Promise.all(writes);
    assert.equal(results.length, 50);

    for (let i = 0; i < 50; i++) {
      const key = String(i).padStart(2, '0');
      assert.deepEqual(await db.get(`k!${key}`), Buffer.from(`value ${i}`));
      assert.deepEqual(await db.get(`j!${key}`), Buffer.from([i]));
    }
    assert.ok(batches.length >= 1);
    assert.ok(batches.length < 50, `expected group commit, got ${batches.length} batches for 50 writes`);
    assert.equal(batches.reduce((sum, batch) => sum + batch.writes, 0), 50, 'every write went into exactly one batch');
    for (const batch of batches) assert.ok(batch.ms >= 0);
  });

  it('applies puts and dels of one write together, in order', async () => {
    const committer = new GroupCommitter(db);
    await committer.write([{ type: 'put', key: 'a', value: Buffer.from('1') }]);
    await committer.write([
      { type: 'del', key: 'a' },
      { type: 'put', key: 'b', value: Buffer.from('2') },
    ]);
    assert.equal(await db.get('a'), undefined);
    assert.deepEqual(await db.get('b'), Buffer.from('2'));
  });

  it('keeps working for writes that arrive after a batch finished', async () => {
    const committer = new GroupCommitter(db);
    let batches = 0;
    committer.onBatchWritten = () => batches++;
    await committer.write([{ type: 'put', key: 'first', value: Buffer.from('1') }]);
    await committer.write([{ type: 'put', key: 'second', value: Buffer.from('2') }]);
    assert.equal(batches, 2);
    assert.deepEqual(await db.get('second'), Buffer.from('2'));
  });

  it('rejects with a StorageError (storage_failed) when the database is closed', async () => {
    const committer = new GroupCommitter(db);
    let batches = 0;
    committer.onBatchWritten = () => batches++;
    await db.close();
    await assert.rejects(committer.write([{ type: 'put', key: 'k', value: Buffer.from('v') }]), (error: unknown) => {
      assert.ok(isOutpostError(error, 'storage_failed'), `expected a StorageError, got ${String(error)}`);
      assert.equal(error.code, 'storage_failed');
      assert.match(error.message, /spool write failed/);
      assert.ok(error.cause instanceof Error);
      return true;
    });
    assert.equal(batches, 0);
  });

  it('rejects every write of a failed batch, and recovers for later writes', async () => {
    const committer = new GroupCommitter(db);
    await db.close();
    const failed = await Promise.allSettled([
      committer.write([{ type: 'put', key: 'a', value: Buffer.from('1') }]),
      committer.write([{ type: 'put', key: 'b', value: Buffer.from('2') }]),
      committer.write([{ type: 'put', key: 'c', value: Buffer.from('3') }]),
    ]);
    for (const outcome of failed) {
      assert.equal(outcome.status, 'rejected');
      assert.ok(outcome.status === 'rejected' && isOutpostError(outcome.reason, 'storage_failed'));
    }
    await db.open();
    await committer.write([{ type: 'put', key: 'd', value: Buffer.from('4') }]);
    assert.deepEqual(await db.get('d'), Buffer.from('4'));
  });

  it('reports failing from a failed batch until a batch succeeds, and tells onBatchFailed', async () => {
    const committer = new GroupCommitter(db);
    const failedBatches: number[] = [];
    const causes: unknown[] = [];
    committer.onBatchFailed = (writes, cause) => {
      failedBatches.push(writes);
      causes.push(cause);
    };
    assert.equal(committer.failing, false);
    await db.close();
    await assert.rejects(committer.write([{ type: 'put', key: 'a', value: Buffer.from('1') }]), (error: unknown) => isOutpostError(error, 'storage_failed'));
    assert.ok(causes[0] instanceof Error, 'the cause goes to the log through onBatchFailed');
    assert.equal(committer.failing, true);
    assert.deepEqual(failedBatches, [1]);
    await db.open();
    await committer.write([{ type: 'put', key: 'b', value: Buffer.from('2') }]);
    assert.equal(committer.failing, false);
    assert.deepEqual(failedBatches, [1]);
  });

  it('tells onFailingChanged once per failing period, with the first cause', async () => {
    const committer = new GroupCommitter(db);
    const changes: { failing: boolean; cause: unknown }[] = [];
    committer.onFailingChanged = (failing, cause) => changes.push({ failing, cause });
    await db.close();
    for (const key of ['a', 'b']) await assert.rejects(committer.write([{ type: 'put', key, value: Buffer.from('1') }]), (error: unknown) => isOutpostError(error, 'storage_failed'));
    await db.open();
    for (const key of ['c', 'd']) await committer.write([{ type: 'put', key, value: Buffer.from('2') }]);
    assert.deepEqual(changes.map((change) => change.failing), [true, false]);
    assert.ok(changes[0]!.cause instanceof Error);
    assert.equal(changes[1]!.cause, undefined);
  });
});
