// Tests core/scheduler/due-index.ts DueIndex: due groups per message and domain, limits, earliestAfter, size and counts by state.
import assert from 'node:assert/strict';
import { DueIndex } from '../../../core/send/due-index.js';
import type { RecipientRecord } from '../../../core/spool/records.js';

function recipient(messageId: string, index: number, domain: string, nextAttemptAt: number): RecipientRecord {
  return {
    messageId,
    index,
    address: `user${index}@${domain}`,
    domain,
    state: 'queued',
    attempts: 0,
    queuedAt: 0,
    nextAttemptAt,
  };
}

const ids = (records: RecipientRecord[]) => records.map((r) => `${r.messageId}/${r.index}`);

describe('DueIndex', () => {
  it('starts empty', () => {
    const index = new DueIndex();
    assert.equal(index.size, 0);
    assert.deepEqual([...index.domainsByEarliest()], []);
    assert.equal(index.earliestAfter(0), undefined);
    assert.deepEqual(index.takeDueGroup('a.test', Number.MAX_SAFE_INTEGER, 100), []);
  });

  it('takes the due recipients of one message, in index order', () => {
    const index = new DueIndex();
    // added out of order on purpose
    index.add(recipient('m1', 2, 'a.test', 100));
    index.add(recipient('m1', 0, 'a.test', 100));
    index.add(recipient('m1', 1, 'a.test', 100));
    index.add(recipient('m2', 0, 'a.test', 200));
    assert.equal(index.size, 4);
    assert.deepEqual(ids(index.takeDueGroup('a.test', 150, 100)), ['m1/0', 'm1/1', 'm1/2']);
    assert.equal(index.size, 1);
    assert.deepEqual(index.takeDueGroup('a.test', 150, 100), [], 'm2 is not due yet');
    assert.deepEqual(ids(index.takeDueGroup('a.test', 200, 100)), ['m2/0'], 'due exactly at nextAttemptAt');
    assert.equal(index.size, 0);
  });

  it('leaves recipients of the same message that are not due yet', () => {
    const index = new DueIndex();
    index.add(recipient('m1', 0, 'a.test', 100));
    index.add(recipient('m1', 1, 'a.test', 500));
    assert.deepEqual(ids(index.takeDueGroup('a.test', 200, 100)), ['m1/0']);
    assert.equal(index.size, 1);
    assert.deepEqual(ids(index.takeDueGroup('a.test', 500, 100)), ['m1/1']);
  });

  it('never mixes messages in one group', () => {
    const index = new DueIndex();
    index.add(recipient('m2', 0, 'a.test', 50));
    index.add(recipient('m1', 0, 'a.test', 100));
    index.add(recipient('m1', 1, 'a.test', 100));
    index.add(recipient('m2', 1, 'a.test', 50));
    assert.deepEqual(ids(index.takeDueGroup('a.test', 1000, 100)), ['m2/0', 'm2/1'], 'the earliest message goes first');
    assert.deepEqual(ids(index.takeDueGroup('a.test', 1000, 100)), ['m1/0', 'm1/1']);
    assert.equal(index.size, 0);
  });

  it('orders equal times by message id', () => {
    const index = new DueIndex();
    index.add(recipient('mb', 0, 'a.test', 100));
    index.add(recipient('ma', 0, 'a.test', 100));
    assert.deepEqual(ids(index.takeDueGroup('a.test', 100, 100)), ['ma/0']);
    assert.deepEqual(ids(index.takeDueGroup('a.test', 100, 100)), ['mb/0']);
  });

  it('respects the limit and leaves the rest for the next group', () => {
    const index = new DueIndex();
    for (let i = 0; i < 7; i++) index.add(recipient('m1', i, 'a.test', 100));
    assert.deepEqual(ids(index.takeDueGroup('a.test', 100, 3)), ['m1/0', 'm1/1', 'm1/2']);
    assert.equal(index.size, 4);
    assert.deepEqual(ids(index.takeDueGroup('a.test', 100, 3)), ['m1/3', 'm1/4', 'm1/5']);
    assert.deepEqual(ids(index.takeDueGroup('a.test', 100, 3)), ['m1/6']);
    assert.equal(index.size, 0);
    assert.deepEqual(index.takeDueGroup('a.test', 100, 0), []);
  });

  it('leaves other domains untouched', () => {
    const index = new DueIndex();
    index.add(recipient('m1', 0, 'a.test', 100));
    index.add(recipient('m1', 1, 'b.test', 100));
    index.add(recipient('m1', 2, 'b.test', 100));
    assert.deepEqual(ids(index.takeDueGroup('a.test', 100, 100)), ['m1/0']);
    assert.equal(index.size, 2);
    assert.deepEqual([...index.domainsByEarliest()], [['b.test', 100]]);
    assert.deepEqual(ids(index.takeDueGroup('b.test', 100, 100)), ['m1/1', 'm1/2']);
    assert.deepEqual(index.takeDueGroup('unknown.test', 100, 100), []);
  });

  it('lists each domain with its earliest time, dropping emptied domains', () => {
    const index = new DueIndex();
    index.add(recipient('m1', 0, 'a.test', 300));
    index.add(recipient('m2', 0, 'a.test', 100));
    index.add(recipient('m3', 0, 'b.test', 200));
    assert.deepEqual(new Map(index.domainsByEarliest()), new Map([['a.test', 100], ['b.test', 200]]));
    index.takeDueGroup('a.test', 100, 100);
    assert.deepEqual(new Map(index.domainsByEarliest()), new Map([['a.test', 300], ['b.test', 200]]));
    index.takeDueGroup('b.test', 200, 100);
    assert.deepEqual([...index.domainsByEarliest()], [['a.test', 300]]);
  });

  it('earliestAfter gives the earliest future time over domains', () => {
    const index = new DueIndex();
    index.add(recipient('m1', 0, 'a.test', 500));
    index.add(recipient('m2', 0, 'b.test', 300));
    index.add(recipient('m3', 0, 'c.test', 50));
    assert.equal(index.earliestAfter(0), 50);
    assert.equal(index.earliestAfter(50), 300, 'a time equal to now is due, not after');
    assert.equal(index.earliestAfter(100), 300);
    assert.equal(index.earliestAfter(300), 500);
    assert.equal(index.earliestAfter(500), undefined);
  });

  it('keeps heap order over many adds and takes', () => {
    const index = new DueIndex();
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const at = (i * 7919) % 1000; // a permutation-ish spread of times
      times.push(at);
      index.add(recipient(`m${String(i).padStart(3, '0')}`, 0, 'a.test', at));
    }
    assert.equal(index.size, 200);
    const taken: number[] = [];
    for (;;) {
      const group = index.takeDueGroup('a.test', 1000, 100);
      if (group.length === 0) break;
      assert.equal(group.length, 1, 'each message has one recipient');
      taken.push(group[0]!.nextAttemptAt);
    }
    assert.deepEqual(taken, [...times].sort((a, b) => a - b));
    assert.equal(index.size, 0);
  });

  it('counts waiting recipients by state through adds and takes', () => {
    const index = new DueIndex();
    assert.deepEqual(index.countByState(), { queued: 0, deferred: 0 });
    index.add(recipient('m1', 0, 'a.test', 100));
    index.add(recipient('m1', 1, 'a.test', 100));
    index.add({ ...recipient('m2', 0, 'a.test', 200), state: 'deferred', attempts: 1 });
    index.add({ ...recipient('m3', 0, 'b.test', 100), state: 'deferred', attempts: 2 });
    assert.deepEqual(index.countByState(), { queued: 2, deferred: 2 });
    index.takeDueGroup('a.test', 150, 100);
    assert.deepEqual(index.countByState(), { queued: 0, deferred: 2 });
    index.takeDueGroup('b.test', 150, 100);
    assert.deepEqual(index.countByState(), { queued: 0, deferred: 1 });
    assert.equal(index.size, 1);
  });
});
