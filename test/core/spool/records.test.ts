// Tests core/spool/records.ts: record encoding round trip, damage detection, keys and message ids.
import assert from 'node:assert/strict';
import { decodeRecord, DIGEST_BYTES, encodeRecord, keys, messageIdOfKey, newMessageId, type RecipientRecord } from '../../../core/spool/records.js';

const sample: RecipientRecord = {
  messageId: '0abc123def',
  index: 3,
  address: 'josé@example.test',
  domain: 'example.test',
  state: 'deferred',
  attempts: 2,
  queuedAt: 1_700_000_000_000,
  nextAttemptAt: 1_700_000_300_000,
  lastResponse: '451 4.7.1 greylisted',
};

describe('spool records', () => {
  it('round-trips a record', () => {
    const stored = encodeRecord(sample);
    assert.ok(Buffer.isBuffer(stored));
    assert.equal(stored[0], 1, 'version byte');
    assert.equal(stored.length, 1 + DIGEST_BYTES + Buffer.byteLength(JSON.stringify(sample)));
    assert.deepEqual(decodeRecord<RecipientRecord>(stored), sample);
  });

  it('round-trips nested values and an empty object', () => {
    const value = { a: [1, 2, { b: 'c' }], nested: { deep: true }, text: 'line\r\nbreak' };
    assert.deepEqual(decodeRecord(encodeRecord(value)), value);
    assert.deepEqual(decodeRecord(encodeRecord({})), {});
  });

  it('throws on a record too short to hold its header', () => {
    const stored = encodeRecord(sample);
    assert.throws(() => decodeRecord(stored.subarray(0, 5)), /record too short \(5 bytes\)/);
    assert.throws(() => decodeRecord(Buffer.alloc(0)), /record too short/);
  });

  it('throws on a truncated payload (torn write)', () => {
    const stored = encodeRecord(sample);
    assert.throws(() => decodeRecord(stored.subarray(0, stored.length - 1)), /digest mismatch/);
    assert.throws(() => decodeRecord(stored.subarray(0, 1 + DIGEST_BYTES + 2)), /digest mismatch/);
  });

  it('throws "digest mismatch" when any payload or digest byte is flipped', () => {
    const stored = encodeRecord(sample);
    for (let i = 1; i < stored.length; i++) {
      const damaged = Buffer.from(stored);
      damaged[i] = damaged[i]! ^ 0x01;
      assert.throws(() => decodeRecord(damaged), /digest mismatch/, `byte ${i}`);
    }
  });

  it('throws on an unknown version', () => {
    const damaged = Buffer.from(encodeRecord(sample));
    damaged[0] = 2;
    assert.throws(() => decodeRecord(damaged), /unknown record version 2/);
  });

  it('does not modify the stored buffer', () => {
    const stored = encodeRecord(sample);
    const copy = Buffer.from(stored);
    decodeRecord(stored);
    assert.deepEqual(stored, copy);
  });
});

describe('spool keys and ids', () => {
  it('builds keys that sort chunk and recipient numbers correctly', () => {
    assert.equal(keys.message('id1'), 'm!id1');
    assert.equal(keys.bodyChunk('id1', 7), 'b!id1!000007');
    assert.equal(keys.recipient('id1', 12), 'r!id1!00012');
    assert.ok(keys.bodyChunk('id1', 9) < keys.bodyChunk('id1', 10));
    assert.ok(keys.recipient('id1', 99) < keys.recipient('id1', 100));
    const range = keys.bodyRange('id1');
    assert.ok(keys.bodyChunk('id1', 0) > range.gt && keys.bodyChunk('id1', 999_999) < range.lt);
    assert.equal(keys.quarantine('m!id1'), 'x!m!id1');
  });

  it('reads the message id back out of a key', () => {
    assert.equal(messageIdOfKey(keys.message('abc')), 'abc');
    assert.equal(messageIdOfKey(keys.bodyChunk('abc', 3)), 'abc');
    assert.equal(messageIdOfKey(keys.recipient('abc', 3)), 'abc');
    assert.equal(messageIdOfKey('nothing'), '');
  });

  it('makes ids that sort by time and differ at the same time', () => {
    const early = newMessageId(1_700_000_000_000);
    const late = newMessageId(1_700_000_000_001);
    const twin = newMessageId(1_700_000_000_000);
    assert.match(early, /^[0-9a-z]{9}[0-9a-f]{16}$/);
    assert.ok(early.slice(0, 9) < late.slice(0, 9));
    assert.ok(early < late, 'a later id sorts after an earlier one whatever the random part');
    assert.notEqual(early, twin);
    assert.equal(early.slice(0, 9), twin.slice(0, 9));
  });

  it('never repeats the random part across blocks of drawn randomness', () => {
    const ids = Array.from({ length: 5000 }, () => newMessageId(1_700_000_000_000));
    assert.equal(new Set(ids).size, ids.length);
    for (const id of ids) assert.match(id, /^[0-9a-z]{9}[0-9a-f]{16}$/);
  });
});
