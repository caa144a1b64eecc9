/**
 * Delivery statistics in the core: the stores' counts (added to in batches,
 * durable, expiring after the retention, in LevelDB and in Redis), and the
 * recorder and reader over a real event bus: what each event counts, under
 * which hour, day, tag and domain, and how queries are bounded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../config/index.js';
import { EventBus } from '../../../core/events.js';
import { Spool } from '../../../core/spool/spool.js';
import { StatsReader } from '../../../core/status/stats-reader.js';
import { StatsRecorder } from '../../../core/status/stats-recorder.js';
import type { MessageStatusView } from '../../../core/status/types.js';
import { LevelSharedStore } from '../../../core/store/level-shared-store.js';
import { RedisSharedStore } from '../../../core/store/redis-shared-store.js';
import type { SharedStore } from '../../../core/store/shared-store.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** A Tuesday, 10:30 UTC. */
const T = Date.UTC(2026, 2, 10, 10, 30);

describe('statistics counts in the shared stores', () => {
  describe('LevelSharedStore', () => {
    let directory: string;
    let spool: Spool;
    let clock = T;

    beforeEach(async () => {
      directory = await mkdtemp(path.join(tmpdir(), 'outpost-stats-'));
      spool = await Spool.open(directory);
      clock = T;
    });
    afterEach(async () => {
      await spool.close();
      await rm(directory, { recursive: true, force: true });
    });

    it('adds to counts in batches, keeps them across a reopen, and forgets them after their lifetime', async () => {
      const store = new LevelSharedStore(spool.db, spool.committer, () => clock);
      await store.addCounts([{ key: 'a', counts: { delivered: 2, bounced_hard: 1 } }, { key: 'b', counts: { accepted: 1 } }, { key: 'a', counts: { delivered: 1 } }], 10 * DAY);
      await Promise.all([store.addCounts([{ key: 'a', counts: { delivered: 1 } }], 10 * DAY), store.addCounts([{ key: 'a', counts: { delivered: 1 } }], 10 * DAY)]);
      assert.deepEqual(await store.readCounts(['a', 'b', 'never']), [{ delivered: 5, bounced_hard: 1 }, { accepted: 1 }, {}]);
      await store.close();
      await spool.close();

      spool = await Spool.open(directory);
      const reopened = new LevelSharedStore(spool.db, spool.committer, () => clock);
      assert.deepEqual(await reopened.readCounts(['a']), [{ delivered: 5, bounced_hard: 1 }], 'stored, not kept in memory');
      clock += 10 * DAY;
      assert.deepEqual(await reopened.readCounts(['a']), [{}], 'gone after the lifetime from the first addition');
      await reopened.addCounts([{ key: 'a', counts: { delivered: 1 } }], DAY);
      assert.deepEqual(await reopened.readCounts(['a']), [{ delivered: 1 }], 'an expired key starts afresh');
      await reopened.close();
    });
  });

  describe('RedisSharedStore', () => {
    let store: RedisSharedStore;
    const namespace = `outpost-test-${randomBytes(6).toString('hex')}`;
    beforeEach(async () => {
      store = await RedisSharedStore.connect(REDIS_URL, logger, namespace);
    });
    afterEach(async () => {
      const keys = await store.redis.keys(`${namespace}:*`);
      if (keys.length > 0) await store.redis.del(...keys);
      await store.close();
    });

    it('adds to counts in one transaction, and they expire after the lifetime of the first addition', async () => {
      await store.addCounts([{ key: 'a', counts: { delivered: 2 } }, { key: 'a', counts: { delivered: 1, deferred: 1 } }], 60_000);
      await store.addCounts([{ key: 'short', counts: { accepted: 1 } }], 40);
      assert.deepEqual(await store.readCounts(['a', 'short', 'never']), [{ delivered: 3, deferred: 1 }, { accepted: 1 }, {}]);
      const ttl = await store.redis.pttl(`${namespace}:h:a`);
      assert.ok(ttl > 50_000 && ttl <= 60_000, `a lifetime is set once: ${ttl}`);
      const deadline = Date.now() + 2000;
      while (Object.keys((await store.readCounts(['short']))[0]!).length > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.deepEqual(await store.readCounts(['short']), [{}]);
    });
  });
});

describe('StatsRecorder and StatsReader', () => {
  let directory: string;
  let spool: Spool;
  let store: SharedStore;
  let events: EventBus;
  let recorder: StatsRecorder;
  let reader: StatsReader;
  const statusReads: string[] = [];
  const known = new Map<string, Pick<MessageStatusView, 'tags' | 'from'>>();

  beforeEach(async () => {
    directory = await mkdtemp(path.join(tmpdir(), 'outpost-stats-'));
    spool = await Spool.open(directory);
    store = new LevelSharedStore(spool.db, spool.committer);
    events = new EventBus(logger);
    statusReads.length = 0;
    const status = {
      get: async (messageId: string) => {
        statusReads.push(messageId);
        const message = known.get(messageId);
        return message && ({ id: messageId, ...message } as MessageStatusView);
      },
    };
    recorder = new StatsRecorder({ store, status, retentionMs: 90 * DAY, logger, flushIntervalMs: 60_000 });
    recorder.watch(events);
    reader = new StatsReader(store);
  });
  afterEach(async () => {
    await recorder.close();
    await store.close();
    await spool.close();
    await rm(directory, { recursive: true, force: true });
  });

  const accepted = (messageId: string, at: number, fields: { tags?: string[]; from?: string; recipients?: string[]; accountId?: string } = {}) =>
    events.emit('message:accepted', {
      messageId,
      accountId: fields.accountId ?? 'a1',
      from: fields.from ?? 'news@Acme.test',
      recipients: fields.recipients ?? ['x@dest.test', 'y@dest.test'],
      notQueued: [{ address: 'gone@dest.test', state: 'suppressed' }, { address: 'bad', state: 'rejected' }],
      tags: fields.tags ?? ['welcome'],
      size: 100,
      at,
    });
  const attempt = { at: T, response: '250 ok', durationMs: 1 };

  it('counts every event in its hour and day, for the account, each tag and the sender\'s domain', async () => {
    accepted('m1', T, { tags: ['welcome', 'spring'] });
    events.emit('recipient:delivered', { messageId: 'm1', accountId: 'a1', recipient: 'x@dest.test', at: T + HOUR, attempt });
    events.emit('recipient:deferred', { messageId: 'm1', accountId: 'a1', recipient: 'y@dest.test', at: T, attempt, nextAttemptAt: T + 60_000 });
    events.emit('recipient:bounced', { messageId: 'm1', accountId: 'a1', recipient: 'y@dest.test', at: T + 2 * HOUR, reason: 'mailboxfull', bounceType: 'soft', description: 'full', async: false });
    events.emit('recipient:opened', { messageId: 'm1', accountId: 'a1', recipient: 'x@dest.test', at: T + 2 * HOUR, machine: false });
    events.emit('recipient:opened', { messageId: 'm1', accountId: 'a1', recipient: 'x@dest.test', at: T + 2 * HOUR, machine: true });
    events.emit('recipient:clicked', { messageId: 'm1', accountId: 'a1', recipient: 'x@dest.test', at: T + 2 * HOUR, url: 'https://x', machine: true });
    events.emit('recipient:complained', { messageId: 'm1', accountId: 'a1', recipient: 'x@dest.test', at: T + DAY, feedbackType: 'abuse', report: { reportedAt: T + DAY } });
    events.emit('recipient:unsubscribed', { messageId: 'm1', accountId: 'a1', recipient: 'x@dest.test', at: T + DAY, method: 'one-click' });
    // mail Outpost sends itself has no account, and counts nowhere
    events.emit('recipient:delivered', { messageId: 'm2', recipient: 'x@dest.test', at: T, attempt });
    await recorder.flush();

    const day = await reader.query('a1', { interval: 'day', from: T, to: Date.UTC(2026, 2, 12) });
    assert.equal(day.from, Date.UTC(2026, 2, 10));
    assert.deepEqual(day.buckets.map((bucket) => bucket.start), [Date.UTC(2026, 2, 10), Date.UTC(2026, 2, 11)]);
    assert.deepEqual(day.buckets.map(({ accepted, delivered, deferred, bounced, bouncedSoft, opened, openedHuman, openedMachine, clicked, clickedMachine, complained, unsubscribed, suppressed }) =>
      ({ accepted, delivered, deferred, bounced, bouncedSoft, opened, openedHuman, openedMachine, clicked, clickedMachine, complained, unsubscribed, suppressed })), [
      { accepted: 2, delivered: 1, deferred: 1, bounced: 1, bouncedSoft: 1, opened: 2, openedHuman: 1, openedMachine: 1, clicked: 1, clickedMachine: 1, complained: 0, unsubscribed: 0, suppressed: 1 },
      { accepted: 0, delivered: 0, deferred: 0, bounced: 0, bouncedSoft: 0, opened: 0, openedHuman: 0, openedMachine: 0, clicked: 0, clickedMachine: 0, complained: 1, unsubscribed: 1, suppressed: 0 },
    ]);
    assert.deepEqual(day.totals.bounceReasons, { mailboxfull: 1 });

    const hours = await reader.query('a1', { interval: 'hour', from: T, to: Date.UTC(2026, 2, 10, 13) });
    assert.deepEqual(hours.buckets.map((bucket) => [bucket.accepted, bucket.delivered, bucket.bounced]), [[2, 0, 0], [0, 1, 0], [0, 0, 1]]);
    for (const query of [{ tag: 'spring' }, { tag: 'welcome' }, { domain: 'ACME.TEST' }]) {
      assert.equal((await reader.query('a1', { interval: 'day', from: T, to: T + DAY, ...query })).totals.delivered, 1, JSON.stringify(query));
    }
    assert.equal((await reader.query('a1', { interval: 'day', from: T, to: T + DAY, tag: 'other' })).totals.accepted, 0);
    assert.equal((await reader.query('a2', { interval: 'day', from: T, to: T + DAY })).totals.accepted, 0, 'another account counts nothing of a1\'s');
    assert.deepEqual(statusReads, [], 'every event found its message remembered from message:accepted');
  });

  it('reads the tags and sender of a message it does not remember from its status (after a restart)', async () => {
    known.set('old', { tags: ['digest'], from: 'news@old.test' });
    events.emit('recipient:delivered', { messageId: 'old', accountId: 'a1', recipient: 'x@dest.test', at: T, attempt });
    events.emit('recipient:delivered', { messageId: 'old', accountId: 'a1', recipient: 'y@dest.test', at: T, attempt });
    await recorder.close();
    assert.equal((await reader.query('a1', { interval: 'day', from: T, to: T + DAY, tag: 'digest' })).totals.delivered, 2);
    assert.equal((await reader.query('a1', { interval: 'day', from: T, to: T + DAY, domain: 'old.test' })).totals.delivered, 2);
    assert.deepEqual(statusReads, ['old'], 'read once, then remembered');
  });

  it('keeps what it could not write for the next batch, and each bucket for OUTPOST_STATS_RETENTION and a day', async () => {
    const failing = store.addCounts.bind(store);
    let failures = 1;
    const lifetimes: number[] = [];
    store.addCounts = async (additions, ttlMs) => {
      lifetimes.push(ttlMs);
      if (failures-- > 0) throw new Error('store down');
      return failing(additions, ttlMs);
    };
    accepted('m1', T);
    await recorder.flush();
    assert.equal((await reader.query('a1', { interval: 'day', from: T, to: T + DAY })).totals.accepted, 0);
    accepted('m2', T);
    await recorder.flush();
    assert.equal((await reader.query('a1', { interval: 'day', from: T, to: T + DAY })).totals.accepted, 4);
    assert.deepEqual(lifetimes, [91 * DAY, 91 * DAY]);
    assert.equal(loadConfig({}).stats.retentionMs, 90 * DAY);
    assert.equal(loadConfig({ OUTPOST_STATS_RETENTION: '400d' }).stats.retentionMs, 400 * DAY);
    assert.throws(() => loadConfig({ OUTPOST_STATS_RETENTION: '12h' }), /OUTPOST_STATS_RETENTION must be at least 1d/);
  });

  it('refuses a range too long, an empty one, and tag with domain, naming the parameter', async () => {
    await assert.rejects(reader.query('a1', { interval: 'hour', from: T, to: T + 1001 * HOUR }), { code: 'invalid_request', message: /^from: the range holds 1002 hours; ask for at most 1000/ });
    await assert.rejects(reader.query('a1', { interval: 'day', from: T, to: T }), { code: 'invalid_request', message: 'to: must be later than from' });
    await assert.rejects(reader.query('a1', { interval: 'day', from: T, to: T + DAY, tag: 'a', domain: 'b.test' }), { code: 'invalid_request', message: /^domain: give tag or domain, not both/ });
    assert.equal((await reader.query('a1', { interval: 'hour', from: T, to: T + 1000 * HOUR - 31 * 60_000 })).buckets.length, 1000);
  });
});
