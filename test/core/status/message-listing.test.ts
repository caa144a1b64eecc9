// Tests listing an account's messages on both status stores: LevelStatusStore
// (core/status/message-listing.ts) on a real LevelDB, and ClusterStatusStore
// (core/status/cluster-status-store.ts) on it plus the real Redis, where a second
// node with its own spool sees the same: order, account scoping, filters, time
// bounds, cursor paging and the scan bound.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Level } from 'level';
import { pino } from 'pino';
import { isOutpostError } from '../../../core/errors.js';
import type { RecipientState } from '../../../core/message.js';
import { newMessageId } from '../../../core/spool/records.js';
import { SpoolBatch } from '../../../core/spool/batch.js';
import { ClusterStatusStore } from '../../../core/status/cluster-status-store.js';
import { LevelStatusStore, type MessagePage, type MessageQuery, type StatusStore } from '../../../core/status/status-store.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

const T0 = Date.UTC(2026, 0, 31, 12, 0, 0);

interface TestMessage {
  accountId?: string;
  createdAt: number;
  tags?: string[];
  recipients?: { address: string; status: RecipientState }[];
}

/** A store under test: the one that stages writes, the one that reads, one with a scan bound, and how a batch is committed. */
interface StoreUnderTest {
  writer: StatusStore;
  store: StatusStore;
  bounded(maxScannedPerPage: number): StatusStore;
  commit(batch: SpoolBatch): Promise<void>;
  close(): Promise<void>;
}

async function openLevel(): Promise<{ db: Level<string, Buffer>; close(): Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'outpost-listing-'));
  const db = new Level<string, Buffer>(dir, { keyEncoding: 'utf8', valueEncoding: 'buffer' });
  await db.open();
  return { db, close: async () => { await db.close(); await rm(dir, { recursive: true, force: true }); } };
}

async function embeddedStore(): Promise<StoreUnderTest> {
  const { db, close } = await openLevel();
  const store = new LevelStatusStore(db);
  return { writer: store, store, bounded: (max) => new LevelStatusStore(db, max), commit: (batch) => db.batch(batch.operations), close };
}

/**
 * Cluster mode: this node's spool and Redis. Listing reads Redis only; `store`
 * is a second node (its own, empty spool) reading what the first one copied.
 */
async function clusterStore(): Promise<StoreUnderTest> {
  const writer = await openLevel();
  const reader = await openLevel();
  const redis = new Redis(REDIS_URL);
  const prefix = `outpost-test-${randomBytes(6).toString('hex')}:`;
  const logger = pino({ level: 'silent' });
  // the clock of the tests' creation times, so the retention trim keeps their index entries
  const now = () => T0 + 60_000;
  const writing = new ClusterStatusStore(new LevelStatusStore(writer.db), redis, prefix, logger, { now });
  const otherNode = (max?: number) => new ClusterStatusStore(new LevelStatusStore(reader.db), redis, prefix, logger, { now, ...(max ? { maxScannedPerPage: max } : {}) });
  return {
    writer: writing,
    store: otherNode(),
    bounded: (max) => otherNode(max),
    async commit(batch) {
      await writer.db.batch(batch.operations);
      batch.runCommitted();
      await writing.flush();
    },
    async close() {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length > 0) await redis.del(...keys);
      await redis.quit();
      await writer.close();
      await reader.close();
    },
  };
}

for (const [kind, open] of [['embedded', embeddedStore], ['cluster (Redis)', clusterStore]] as const) {
  describe(`status store, ${kind}: listing an account's messages`, () => {
    let underTest: StoreUnderTest;
    let writer: StatusStore;
    let store: StatusStore;

    beforeEach(async () => {
      underTest = await open();
      ({ writer, store } = underTest);
    });

    afterEach(() => underTest.close());

    const commit = (batch: SpoolBatch) => underTest.commit(batch);

    /** Stages a message the way the queue stage does; returns its id. */
    async function addMessage(message: TestMessage): Promise<string> {
      const id = newMessageId(message.createdAt);
      const batch = new SpoolBatch();
      const recipients = message.recipients ?? [{ address: 'user@dest.test', status: 'queued' }];
      writer.putMessage(
        batch,
        { id, ...(message.accountId ? { accountId: message.accountId } : {}), from: 'sender@acme.test', subject: `at ${message.createdAt}`, tags: message.tags ?? [], createdAt: message.createdAt, size: 100 },
        recipients.map((recipient) => ({ ...recipient, attempts: 0, lastResponse: null, updatedAt: message.createdAt })),
      );
      writer.putEvent(batch, id, { type: 'accepted', at: message.createdAt });
      await commit(batch);
      return id;
    }

    async function ids(accountId: string, query: Partial<MessageQuery> = {}): Promise<string[]> {
      const page = await store.list(accountId, { limit: 100, ...query });
      return page.items.map((item) => item.id);
    }

    /** Follows next_cursor to the end; returns every page. */
    async function allPages(accountId: string, query: Partial<MessageQuery>, list: (query: MessageQuery) => Promise<MessagePage> = (q) => store.list(accountId, q)): Promise<MessagePage[]> {
      const pages: MessagePage[] = [];
      let cursor: string | undefined;
      do {
        const page = await list({ limit: 100, ...query, ...(cursor ? { cursor } : {}) });
        pages.push(page);
        cursor = page.nextCursor ?? undefined;
        assert.ok(pages.length < 100, 'cursor paging does not end');
      } while (cursor);
      return pages;
    }

    it('lists newest first, with each message\'s recipients and event log', async () => {
      const older = await addMessage({ accountId: 'acct1', createdAt: T0, tags: ['welcome'] });
      const newer = await addMessage({ accountId: 'acct1', createdAt: T0 + 1000 });
      const page = await store.list('acct1', { limit: 20 });
      assert.deepEqual(page.items.map((item) => item.id), [newer, older]);
      assert.equal(page.nextCursor, null);
      assert.deepEqual(page.items[1], await store.get(older));
      assert.deepEqual(page.items[1]!.tags, ['welcome']);
      assert.deepEqual(page.items[1]!.recipients.map((recipient) => recipient.address), ['user@dest.test']);
      assert.deepEqual(page.items[1]!.events.map((event) => event.type), ['accepted']);
    });

    it('orders by creation time even when message ids would sort otherwise', async () => {
      // Ids from code need not follow newMessageId's format; the listing key carries the time itself.
      const batch = new SpoolBatch();
      for (const [id, createdAt] of [['zzzz-first', T0], ['aaaa-second', T0 + 1]] as const) {
        writer.putMessage(batch, { id, accountId: 'acct1', from: 'a@b.test', subject: '', tags: [], createdAt, size: 1 }, []);
      }
      await commit(batch);
      assert.deepEqual(await ids('acct1'), ['aaaa-second', 'zzzz-first']);
    });

    it('lists only the account\'s own messages, never those submitted without an account', async () => {
      const mine = await addMessage({ accountId: 'acct1', createdAt: T0 });
      await addMessage({ accountId: 'acct2', createdAt: T0 + 1 });
      await addMessage({ createdAt: T0 + 2 });
      // An id extending another with the key separator must not fall into its range.
      const tricky = await addMessage({ accountId: 'acct1!x', createdAt: T0 + 3 });
      await addMessage({ accountId: 'acct1%21x', createdAt: T0 + 4 });
      assert.deepEqual(await ids('acct1'), [mine]);
      assert.deepEqual(await ids('acct1!x'), [tricky]);
      // Not even scanned: with room for one entry per page, acct1's one message comes first, and last.
      assert.deepEqual(await underTest.bounded(1).list('acct1', { limit: 5 }), { items: [await store.get(mine)], nextCursor: null });
      assert.deepEqual(await ids('nobody'), []);
    });

    it('pages through every message exactly once with the cursor, ending with a null cursor', async () => {
      const created: string[] = [];
      for (let i = 0; i < 7; i++) created.unshift(await addMessage({ accountId: 'acct1', createdAt: T0 + i * 10 }));
      const pages = await allPages('acct1', { limit: 3 });
      assert.deepEqual(pages.map((page) => page.items.length), [3, 3, 1]);
      assert.deepEqual(pages.flatMap((page) => page.items.map((item) => item.id)), created);
      assert.ok(pages.slice(0, 2).every((page) => typeof page.nextCursor === 'string'));
    });

    it('gives no cursor when a page ends exactly at the last message', async () => {
      for (let i = 0; i < 4; i++) await addMessage({ accountId: 'acct1', createdAt: T0 + i });
      const pages = await allPages('acct1', { limit: 2 });
      assert.deepEqual(pages.map((page) => page.items.length), [2, 2]);
    });

    it('keeps its place when newer messages arrive between pages', async () => {
      const created: string[] = [];
      for (let i = 0; i < 4; i++) created.unshift(await addMessage({ accountId: 'acct1', createdAt: T0 + i }));
      const first = await store.list('acct1', { limit: 2 });
      await addMessage({ accountId: 'acct1', createdAt: T0 + 100 });
      const second = await store.list('acct1', { limit: 2, cursor: first.nextCursor! });
      assert.deepEqual([...first.items, ...second.items].map((item) => item.id), created);
      assert.equal(second.nextCursor, null);
    });

    it('takes since as inclusive and until as exclusive bounds on created_at, also with a cursor', async () => {
      const byTime = new Map<number, string>();
      for (let i = 0; i < 6; i++) byTime.set(T0 + i * 1000, await addMessage({ accountId: 'acct1', createdAt: T0 + i * 1000 }));
      const at = (offset: number) => byTime.get(T0 + offset)!;
      assert.deepEqual(await ids('acct1', { since: T0 + 2000 }), [at(5000), at(4000), at(3000), at(2000)]);
      assert.deepEqual(await ids('acct1', { until: T0 + 2000 }), [at(1000), at(0)]);
      assert.deepEqual(await ids('acct1', { since: T0 + 1500, until: T0 + 4000 }), [at(3000), at(2000)]);
      assert.deepEqual(await ids('acct1', { since: T0 + 4000, until: T0 + 1000 }), []);
      assert.deepEqual(await ids('acct1', { since: 0, until: Number.MAX_SAFE_INTEGER }), [5, 4, 3, 2, 1, 0].map((i) => at(i * 1000)));
      const pages = await allPages('acct1', { since: T0 + 1000, until: T0 + 5000, limit: 3 });
      assert.deepEqual(pages.map((page) => page.items.map((item) => item.id)), [[at(4000), at(3000), at(2000)], [at(1000)]]);
    });

    it('filters by tag (exact) and recipient (case-insensitive)', async () => {
      const tagged = await addMessage({ accountId: 'acct1', createdAt: T0, tags: ['welcome', 'q1'] });
      const toBob = await addMessage({ accountId: 'acct1', createdAt: T0 + 1, recipients: [{ address: 'Bob@Dest.test', status: 'queued' }] });
      await addMessage({ accountId: 'acct1', createdAt: T0 + 2, tags: ['Welcome'] });
      assert.deepEqual(await ids('acct1', { tag: 'welcome' }), [tagged]);
      assert.deepEqual(await ids('acct1', { recipient: 'bob@dest.TEST' }), [toBob]);
      assert.deepEqual(await ids('acct1', { recipient: 'bob@dest' }), [], 'a whole address, not a substring');
      assert.deepEqual(await ids('acct1', { tag: 'welcome', recipient: 'bob@dest.test' }), []);
    });

    it('filters by status when any recipient has it, following status changes after submission', async () => {
      const mixed = await addMessage({
        accountId: 'acct1',
        createdAt: T0,
        recipients: [{ address: 'a@dest.test', status: 'queued' }, { address: 'b@dest.test', status: 'suppressed' }],
      });
      const single = await addMessage({ accountId: 'acct1', createdAt: T0 + 1 });
      assert.deepEqual(await ids('acct1', { status: 'queued' }), [single, mixed]);
      assert.deepEqual(await ids('acct1', { status: 'suppressed' }), [mixed]);
      assert.deepEqual(await ids('acct1', { status: 'bounced' }), []);

      const batch = new SpoolBatch();
      writer.putRecipient(batch, mixed, 0, { address: 'a@dest.test', status: 'bounced', attempts: 1, lastResponse: '550 5.1.1 no such user', updatedAt: T0 + 5 });
      await commit(batch);
      assert.deepEqual(await ids('acct1', { status: 'bounced' }), [mixed]);
      assert.deepEqual(await ids('acct1', { status: 'queued' }), [single]);
      // With a recipient filter, that recipient must have the status.
      assert.deepEqual(await ids('acct1', { status: 'bounced', recipient: 'A@dest.test' }), [mixed]);
      assert.deepEqual(await ids('acct1', { status: 'bounced', recipient: 'b@dest.test' }), []);
    });

    it('stops after the scan bound with a cursor, so a rare match costs several bounded requests', async () => {
      const bounded = underTest.bounded(3);
      const rare = await addMessage({ accountId: 'acct1', createdAt: T0, tags: ['rare'] });
      for (let i = 1; i <= 9; i++) await addMessage({ accountId: 'acct1', createdAt: T0 + i });
      const pages = await allPages('acct1', { tag: 'rare', limit: 20 }, (query) => bounded.list('acct1', query));
      // 10 entries, 3 per request: 9 scanned without a match over three pages, then the match.
      assert.deepEqual(pages.map((page) => page.items.map((item) => item.id)), [[], [], [], [rare]]);
      assert.equal(pages[3]!.nextCursor, null);
      const unfiltered = await allPages('acct1', { limit: 20 }, (query) => bounded.list('acct1', query));
      assert.deepEqual(unfiltered.map((page) => page.items.length), [3, 3, 3, 1]);
    });

    it('refuses a cursor it did not give out with InvalidRequestError naming cursor', async () => {
      await addMessage({ accountId: 'acct1', createdAt: T0 });
      for (const cursor of ['not a cursor', Buffer.from('hello').toString('base64url'), Buffer.from('000000000!a!b').toString('base64url'), 'AAAA*']) {
        await assert.rejects(store.list('acct1', { limit: 5, cursor }), (error: unknown) => {
          assert.ok(isOutpostError(error, 'invalid_request'), String(error));
          assert.deepEqual(error.details, [{ field: 'cursor', problem: 'not a cursor this API gave out; pass next_cursor from the previous page unchanged' }]);
          return true;
        }, cursor);
      }
    });
  });
}
