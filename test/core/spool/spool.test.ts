/**
 * The spool's read side on a real LevelDB: a message just committed is served
 * from memory (HotMessages), one that is not (evicted, or after a reopen) from
 * disk with its digest checked, and a message whose write failed is never
 * served at all.
 */
import assert from 'node:assert/strict';
import { buffer } from 'node:stream/consumers';
import { HotMessages } from '../../../core/spool/hot-messages.js';
import { keys, newMessageId, type MessageRecord } from '../../../core/spool/records.js';
import { Spool } from '../../../core/spool/spool.js';
import { SpoolBatch } from '../../../core/spool/batch.js';
import { makeDataDir } from '../../support/outpost.js';

function stage(spool: Spool, body: Buffer, chunkBytes = 1024): { batch: SpoolBatch; record: MessageRecord } {
  const batch = new SpoolBatch();
  const id = newMessageId(Date.now());
  const record = spool.putMessage(batch, { id, from: 'a@acme.test', createdAt: Date.now(), options: {}, tags: [], recipientCount: 1 }, body, [], chunkBytes);
  return { batch, record };
}

describe('Spool', () => {
  let directory: string;
  let spool: Spool;

  beforeEach(async () => {
    directory = await makeDataDir();
    spool = await Spool.open(directory);
  });

  afterEach(async () => {
    if (spool.db.status !== 'closed') await spool.close();
  });

  it('serves a just-committed message from memory: the record and body even with the disk copy gone', async () => {
    const body = Buffer.from('Subject: hot\r\n\r\nbody\r\n');
    const { batch, record } = stage(spool, body);
    assert.equal(spool.hot.size, 0, 'nothing is held before the commit');
    await spool.commit(batch);
    // remove the disk copy behind the spool's back: only memory can answer now
    await spool.db.batch([{ type: 'del', key: keys.message(record.id) }, { type: 'del', key: keys.bodyChunk(record.id, 0) }]);
    const read = await spool.readMessage(record.id);
    assert.equal(read, record);
    assert.deepEqual(await buffer(spool.openBody(read)), body);
  });

  it('reads from disk, digest checked, once the message is no longer in memory, and after a reopen', async () => {
    const body = Buffer.from(`Subject: cold\r\n\r\n${'line of body\r\n'.repeat(300)}`);
    const { batch, record } = stage(spool, body);
    await spool.commit(batch);
    spool.hot.delete(record.id);
    const read = (await spool.readMessage(record.id))!;
    assert.notEqual(read, record, 'a record decoded from disk');
    assert.deepEqual(read, record);
    assert.deepEqual(await buffer(spool.openBody(read)), body);

    // damage a chunk on disk: the disk path notices, which shows it is the path taken
    await spool.db.put(keys.bodyChunk(record.id, 1), Buffer.from('damaged'));
    await assert.rejects(buffer(spool.openBody(read)), /damaged \(digest mismatch\)/);

    await spool.close();
    spool = await Spool.open(directory);
    assert.equal(spool.hot.size, 0);
    assert.deepEqual(await spool.readMessage(record.id), record);
  });

  it('holds nothing of a message whose write failed, and forgets a message staged for removal', async () => {
    const kept = stage(spool, Buffer.from('kept'));
    await spool.commit(kept.batch);
    const removal = new SpoolBatch();
    spool.deleteMessage(removal, kept.record);
    await spool.commit(removal);
    assert.equal(spool.hot.record(kept.record.id), undefined);
    assert.equal(await spool.readMessage(kept.record.id), undefined);

    const failed = stage(spool, Buffer.from('never durable'));
    await spool.db.close();
    await assert.rejects(spool.commit(failed.batch), /spool write failed/);
    assert.equal(spool.hot.size, 0);
  });
});

describe('HotMessages', () => {
  const record = (id: string) => ({ id }) as MessageRecord;

  it('stays within its byte bound, dropping the oldest first', () => {
    const hot = new HotMessages(100);
    const [first, second, third] = [record('1'), record('2'), record('3')];
    hot.add(first, Buffer.alloc(40));
    hot.add(second, Buffer.alloc(40));
    hot.add(third, Buffer.alloc(40));
    assert.equal(hot.record('1'), undefined);
    assert.equal(hot.record('2'), second);
    assert.equal(hot.heldBytes, 80);
    hot.add(record('big'), Buffer.alloc(101));
    assert.equal(hot.record('big'), undefined, 'a body over the bound is never held');
    assert.equal(hot.heldBytes, 80);
  });

  it('gives a body only for the very record it was added with', () => {
    const hot = new HotMessages(100);
    const added = record('1');
    hot.add(added, Buffer.from('body'));
    assert.deepEqual(hot.body(added), Buffer.from('body'));
    assert.equal(hot.body(record('1')), undefined);
    hot.delete('1');
    assert.equal(hot.body(added), undefined);
    assert.equal(hot.heldBytes, 0);
  });
});
