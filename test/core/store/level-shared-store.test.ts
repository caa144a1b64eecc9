/**
 * The embedded shared store on a real LevelDB: collection reads are served
 * from memory after the first, and must never differ from what is on disk.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { BatchOperation } from '../../../core/spool/batch.js';
import type { GroupCommitter } from '../../../core/spool/group-commit.js';
import { Spool } from '../../../core/spool/spool.js';
import { LevelSharedStore } from '../../../core/store/level-shared-store.js';

interface Account { name: string; disabled?: boolean }

describe('LevelSharedStore collections', () => {
  let directory: string;
  let spool: Spool;
  let store: LevelSharedStore;

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'outpost-shared-store-'));
    spool = await Spool.open(directory);
    store = new LevelSharedStore(spool.db, spool.committer);
  });
  afterEach(async () => {
    await store.close();
    await spool.close();
    await rm(directory, { recursive: true, force: true });
  });

  it('reads back every put and delete, and what is read survives a reopen', async () => {
    const accounts = store.collection<Account>('accounts');
    assert.equal(await accounts.get('a1'), undefined);
    await accounts.put('a1', { name: 'acme' });
    assert.deepEqual(await accounts.get('a1'), { name: 'acme' });
    await accounts.put('a1', { name: 'acme', disabled: true });
    assert.deepEqual(await accounts.get('a1'), { name: 'acme', disabled: true });
    await accounts.put('a2', { name: 'other' });
    await accounts.delete('a2');
    assert.equal(await accounts.get('a2'), undefined);

    await store.close();
    await spool.close();
    spool = await Spool.open(directory);
    store = new LevelSharedStore(spool.db, spool.committer);
    assert.deepEqual(await store.collection<Account>('accounts').get('a1'), { name: 'acme', disabled: true });
    assert.equal(await store.collection<Account>('accounts').get('a2'), undefined);
  });

  it('hands out frozen values: changing one in place throws and the next read is unchanged; the written object stays the caller\'s', async () => {
    const accounts = store.collection<Account & { limits?: { perHour: number } }>('accounts');
    const written = { name: 'acme', limits: { perHour: 10 } };
    await accounts.put('a1', written);
    written.name = 'changed after the write';
    const first = (await accounts.get('a1'))!;
    assert.throws(() => { first.name = 'changed by a caller'; }, TypeError);
    assert.throws(() => { first.limits!.perHour = 0; }, TypeError);
    assert.deepEqual(await accounts.get('a1'), { name: 'acme', limits: { perHour: 10 } });
    // a value read from disk (not cached by the write) is frozen too
    const fresh = new LevelSharedStore(spool.db, spool.committer).collection<Account>('accounts');
    const fromDisk = (await fresh.get('a1'))!;
    assert.throws(() => { fromDisk.name = 'changed by a caller'; }, TypeError);
  });

  it('never serves a value older than a write that has landed, also when a read came while it was in flight', async () => {
    const accounts = store.collection<Account>('accounts');
    await accounts.put('a1', { name: 'old' });
    // each write waits at a gate the test opens, so a read is sure to come while it is in flight
    const gates: (() => void)[] = [];
    const heldCommitter = {
      write: async (operations: BatchOperation[]) => {
        await new Promise<void>((open) => gates.push(open));
        return spool.committer.write(operations);
      },
    } as unknown as GroupCommitter;
    const fresh = new LevelSharedStore(spool.db, heldCommitter).collection<Account>('accounts');
    const writing = fresh.put('a1', { name: 'new' });
    assert.deepEqual(await fresh.get('a1'), { name: 'old' }, 'read (and cached) while the write is in flight');
    gates.shift()!();
    await writing;
    assert.deepEqual(await fresh.get('a1'), { name: 'new' });
    const deleting = fresh.delete('a1');
    assert.deepEqual(await fresh.get('a1'), { name: 'new' });
    gates.shift()!();
    await deleting;
    assert.equal(await fresh.get('a1'), undefined);
  });
});
