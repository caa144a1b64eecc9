/**
 * GET /v1/mail/messages/:id and GET /v1/mail/messages against a real Outpost:
 * messages are submitted in process for an account and delivered to a scripted
 * MX (STARTTLS on) through the test DNS server, so statuses really move —
 * delivered, bounced on 550, deferred on 451. One server for the file; every
 * test makes its own accounts, so what it lists is only its own.
 */
import assert from 'node:assert/strict';
import { z } from 'zod';
import { MessageListQuery } from '../../../api/http/routes/messages.js';
import type { MessageJson, MessageListJson } from '../../../api/http/messages/schema.js';
import type { MessageStatusView } from '../../../core/status/status-store.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

type ErrorBody = { code: string; message: string; details?: { field: string; problem: string }[] };
/** An account that may send: it owns the verified domain `domain`. */
interface Sender {
  id: string;
  apiKey: string;
  domain: string;
}

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('message status API', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let sendersCreated = 0;

  before(async () => {
    // nobody@ bounces, later@ is deferred on every attempt, everyone else is delivered.
    mx = await startMxServer({
      tls: true,
      rcptReply: (address) => (address.startsWith('nobody@') ? '550 5.1.1 no such user' : address.startsWith('later@') ? '451 4.3.0 try later' : undefined),
    });
    dns = await startDnsServer({
      'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'mx.dest.test': { A: ['127.0.0.1'] },
      // Outpost's own name (OUTPOST_HOSTNAME): SPF checks of sending domains resolve it.
      'outpost.test': { A: ['127.0.0.1'] },
    });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
  });

  after(async () => {
    await server?.close();
    await mx?.close();
    await dns?.close();
  });

  /** An account with a verified sending domain of its own: an account may send only from one. */
  async function createSender(name = 'acme'): Promise<Sender> {
    const account = await createAccount(server.outpost, name);
    const domain = `sender${++sendersCreated}.test`;
    await addVerifiedDomain(server.outpost, dns, account.apiKey, domain);
    return { ...account, domain };
  }

  /** Submits from `sender`'s domain (or from code, without an account) and waits until `done` holds (default: every recipient final). */
  async function send(
    sender: Sender | undefined,
    to: string[],
    extra: { subject?: string; tags?: string[]; done?: (view: MessageStatusView) => boolean } = {},
  ): Promise<string> {
    const from = `sender@${sender?.domain ?? 'outpost.test'}`;
    const receipt = await server.outpost.submit({
      from, to, raw: rawMessage({ from, to, subject: extra.subject ?? 'Hello' }), source: sender ? 'api' : 'internal', ...(sender ? { accountId: sender.id } : {}), tags: extra.tags ?? [],
    });
    await waitForStatus(server.outpost, receipt.id, extra.done ?? allFinal);
    return receipt.id;
  }

  /** Makes the next message's created_at differ from the last one's, so time-bound tests are exact. */
  async function nextMillisecond(): Promise<void> {
    const start = Date.now();
    while (Date.now() === start) await new Promise((resolve) => setImmediate(resolve));
  }

  const get = (key: string, id: string) => request<MessageJson & ErrorBody>(server.outpost, 'GET', `/v1/mail/messages/${id}`, { key });
  const list = (key: string, query = '') => request<MessageListJson & ErrorBody>(server.outpost, 'GET', `/v1/mail/messages${query}`, { key });
  const listIds = async (key: string, query = '') => {
    const response = await list(key, query);
    assert.equal(response.status, 200, JSON.stringify(response.body));
    return response.body.items.map((item) => item.id);
  };

  /** Every object key in the JSON, recursively. */
  function keysOf(value: unknown): string[] {
    if (Array.isArray(value)) return value.flatMap(keysOf);
    if (value && typeof value === 'object') return Object.entries(value).flatMap(([key, inner]) => [key, ...keysOf(inner)]);
    return [];
  }

  describe('GET /v1/mail/messages/:id', () => {
    it('shows the message, each recipient\'s status and the event log with every attempt\'s MX, IP, TLS and reply', async () => {
      const account = await createSender();
      const id = await send(account, ['user@dest.test', 'nobody@dest.test'], { subject: 'Welcome aboard', tags: ['welcome', 'q1'] });
      const stored = (await server.outpost.getMessage(id))!;

      const response = await get(account.apiKey, id);
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const message = response.body;
      assert.deepEqual(Object.keys(message).sort(), ['created_at', 'engagement', 'events', 'from', 'id', 'recipients', 'size', 'subject', 'tags']);
      assert.equal(message.id, id);
      assert.equal(message.subject, 'Welcome aboard');
      assert.deepEqual(message.tags, ['welcome', 'q1']);
      assert.equal(message.created_at, new Date(stored.createdAt).toISOString());
      assert.equal(message.size, stored.size);
      assert.ok(message.size > 0);

      const [user, nobody] = message.recipients;
      assert.deepEqual(Object.keys(user!).sort(), ['address', 'attempts', 'last_response', 'status', 'updated_at']);
      assert.deepEqual({ ...user!, last_response: undefined, updated_at: undefined }, { address: 'user@dest.test', status: 'delivered', attempts: 1, last_response: undefined, updated_at: undefined });
      assert.match(user!.last_response!, /^250 /);
      assert.match(user!.updated_at, ISO_UTC);
      assert.equal(nobody!.status, 'bounced');
      assert.equal(nobody!.attempts, 1);
      assert.match(nobody!.last_response!, /550 5\.1\.1 no such user/);

      assert.equal(message.events[0]!.type, 'accepted');
      assert.match(message.events[0]!.at, ISO_UTC);
      const delivered = message.events.find((event) => event.type === 'delivered')!;
      assert.equal(delivered.recipient, 'user@dest.test');
      const attempt = delivered.attempt!;
      assert.equal(attempt.mx, 'mx.dest.test');
      assert.equal(attempt.ip, '127.0.0.1');
      assert.equal(attempt.port, mx.port);
      assert.match(attempt.tls!.protocol, /^TLSv1\.[23]$/);
      assert.ok(attempt.tls!.cipher.length > 0);
      assert.equal(attempt.code, 250);
      assert.match(attempt.response, /^250 /);
      assert.match(attempt.at, ISO_UTC);
      assert.equal(typeof attempt.duration_ms, 'number');
      const bounced = message.events.find((event) => event.type === 'bounced')!;
      assert.equal(bounced.recipient, 'nobody@dest.test');
      assert.equal(bounced.attempt!.code, 550);
      assert.equal(bounced.attempt!.enhanced_status, '5.1.1');
      assert.match(bounced.reason!, /no such user/);

      // snake_case throughout, and nothing about the owner or internals.
      for (const key of keysOf(message)) assert.match(key, /^[a-z]+(_[a-z]+)*$/, key);
      assert.ok(!JSON.stringify(message).includes(account.id), 'the account id is not shown');
    });

    it('shows from as the sender address given at submission, not the return path Outpost sends with', async () => {
      const account = await createSender();
      const id = await send(account, ['user@dest.test']);
      assert.equal((await get(account.apiKey, id)).body.from, `sender@${account.domain}`);
    });

    it('shows an RFC 2047 encoded subject decoded', async () => {
      const account = await createSender();
      const id = await send(account, ['user@dest.test'], { subject: '=?UTF-8?Q?Bienvenue_=C3=A0_bord?=' });
      assert.equal((await get(account.apiKey, id)).body.subject, 'Bienvenue à bord');
    });

    it('shows a deferred recipient with the next attempt time and the 451 reply', async () => {
      const account = await createSender();
      const id = await send(account, ['later@dest.test'], { done: (view) => view.recipients[0]!.status === 'deferred' });
      const message = (await get(account.apiKey, id)).body;
      assert.equal(message.recipients[0]!.status, 'deferred');
      assert.match(message.recipients[0]!.last_response!, /451 4\.3\.0 try later/);
      const deferred = message.events.find((event) => event.type === 'deferred')!;
      assert.match(deferred.next_attempt_at!, ISO_UTC);
      assert.ok(Date.parse(deferred.next_attempt_at!) > Date.parse(deferred.at));
      assert.equal(deferred.attempt!.code, 451);
      assert.equal(deferred.attempt!.enhanced_status, '4.3.0');
    });

    it('answers another account\'s message exactly like an unknown id: 404 not_found', async () => {
      const owner = await createSender('owner');
      const other = await createSender('other');
      const id = await send(owner, ['user@dest.test']);
      assert.equal((await get(owner.apiKey, id)).status, 200);

      const foreign = await get(other.apiKey, id);
      const unknown = await get(other.apiKey, `${id.slice(0, -4)}0000`);
      const malformed = await get(other.apiKey, 'not-an-id!');
      for (const response of [foreign, unknown, malformed]) {
        assert.equal(response.status, 404);
        assert.equal(response.body.code, 'not_found');
      }
      assert.deepEqual(foreign.body, unknown.body);
      assert.deepEqual(malformed.body, unknown.body);
    });

    it('answers 404 for a message submitted from code without an account', async () => {
      const account = await createAccount(server.outpost);
      const id = await send(undefined, ['user@dest.test']);
      const response = await get(account.apiKey, id);
      assert.equal(response.status, 404);
      assert.equal(response.body.code, 'not_found');
    });

    it('needs an API key: 401 without one, 401 for an unknown one', async () => {
      const account = await createSender();
      const id = await send(account, ['user@dest.test']);
      const anonymous = await request<ErrorBody>(server.outpost, 'GET', `/v1/mail/messages/${id}`);
      assert.equal(anonymous.status, 401);
      assert.equal(anonymous.body.code, 'unauthorized');
      const forged = await get(`op_${account.id}_${'x'.repeat(43)}`, id);
      assert.equal(forged.status, 401);
      assert.equal((await request<ErrorBody>(server.outpost, 'GET', '/v1/mail/messages')).status, 401);
    });
  });

  describe('GET /v1/mail/messages', () => {
    it('lists the account\'s messages newest first, each in the same shape as GET /:id, with a null cursor at the end', async () => {
      const account = await createSender();
      const first = await send(account, ['user@dest.test'], { subject: 'first' });
      await nextMillisecond();
      const second = await send(account, ['nobody@dest.test'], { subject: 'second' });
      const response = await list(account.apiKey);
      assert.equal(response.status, 200);
      assert.deepEqual(Object.keys(response.body).sort(), ['items', 'next_cursor']);
      assert.equal(response.body.next_cursor, null);
      assert.deepEqual(response.body.items.map((item) => item.id), [second, first]);
      assert.deepEqual(response.body.items[1], (await get(account.apiKey, first)).body);
    });

    it('pages with limit and next_cursor through every message exactly once', async () => {
      const account = await createSender();
      const sent: string[] = [];
      for (let i = 0; i < 5; i++) {
        await nextMillisecond();
        sent.unshift(await send(account, [`user${i}@dest.test`]));
      }
      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const response = await list(account.apiKey, `?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        assert.equal(response.status, 200, JSON.stringify(response.body));
        pages.push(response.body.items.map((item) => item.id));
        cursor = response.body.next_cursor;
        assert.ok(pages.length <= 5, 'paging does not end');
      } while (cursor);
      assert.deepEqual(pages, [sent.slice(0, 2), sent.slice(2, 4), sent.slice(4)]);
      assert.equal((await list(account.apiKey)).body.items.length, 5, 'limit defaults to 20');
    });

    it('filters by recipient status: a message matches when any recipient has it', async () => {
      const account = await createSender();
      const delivered = await send(account, ['user@dest.test']);
      const mixed = await send(account, ['nobody@dest.test', 'someone@dest.test']);
      const deferred = await send(account, ['later@dest.test'], { done: (view) => view.recipients[0]!.status === 'deferred' });
      assert.deepEqual(new Set(await listIds(account.apiKey, '?status=delivered')), new Set([delivered, mixed]));
      assert.deepEqual(await listIds(account.apiKey, '?status=bounced'), [mixed]);
      assert.deepEqual(await listIds(account.apiKey, '?status=deferred'), [deferred]);
      assert.deepEqual(await listIds(account.apiKey, '?status=suppressed'), []);
    });

    it('filters by recipient (case-insensitive) and by tag', async () => {
      const account = await createSender();
      const toBob = await send(account, ['bob@dest.test'], { tags: ['receipt'] });
      const toAlice = await send(account, ['alice@dest.test'], { tags: ['welcome'] });
      assert.deepEqual(await listIds(account.apiKey, '?recipient=BOB%40Dest.Test'), [toBob]);
      assert.deepEqual(await listIds(account.apiKey, '?tag=welcome'), [toAlice]);
      assert.deepEqual(await listIds(account.apiKey, '?tag=welcome&recipient=bob@dest.test'), []);
      assert.deepEqual(await listIds(account.apiKey, '?recipient=carol@dest.test'), []);
    });

    it('bounds created_at with since (inclusive) and until (exclusive), as ISO 8601 or epoch milliseconds', async () => {
      const account = await createSender();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        await nextMillisecond();
        ids.push(await send(account, [`user${i}@dest.test`]));
      }
      const createdAt = await Promise.all(ids.map(async (id) => (await get(account.apiKey, id)).body.created_at));
      const middle = createdAt[1]!;
      assert.deepEqual(await listIds(account.apiKey, `?since=${encodeURIComponent(middle)}`), [ids[2], ids[1]]);
      assert.deepEqual(await listIds(account.apiKey, `?until=${Date.parse(middle)}`), [ids[0]]);
      assert.deepEqual(await listIds(account.apiKey, `?since=${Date.parse(createdAt[0]!)}&until=${encodeURIComponent(createdAt[2]!)}`), [ids[1], ids[0]]);
      // The same instant as middle, written in +02:00: read as UTC it would be two hours later and match nothing.
      const sameInstantAtPlusTwo = new Date(Date.parse(middle) + 2 * 3600_000).toISOString().replace(/Z$/, '+02:00');
      assert.deepEqual(await listIds(account.apiKey, `?since=${encodeURIComponent(sameInstantAtPlusTwo)}`), [ids[2], ids[1]]);
    });

    it('never shows another account\'s messages', async () => {
      const a = await createSender('a');
      const b = await createSender('b');
      const ofA = await send(a, ['user@dest.test'], { tags: ['shared-tag'] });
      await send(undefined, ['user@dest.test'], { tags: ['shared-tag'] });
      assert.deepEqual(await listIds(a.apiKey), [ofA]);
      assert.deepEqual(await listIds(b.apiKey), []);
      assert.deepEqual(await listIds(b.apiKey, '?tag=shared-tag&recipient=user@dest.test'), []);
      // A's cursor is only a position in time: B following it still sees only B's messages.
      const ofB = await send(b, ['user@dest.test']);
      await nextMillisecond();
      await send(a, ['user@dest.test']);
      const cursorOfA = (await list(a.apiKey, '?limit=1')).body.next_cursor;
      assert.ok(cursorOfA);
      assert.deepEqual(await listIds(b.apiKey, `?cursor=${cursorOfA}`), [ofB]);
    });

    const badQueries: [query: string, field: string][] = [
      ['?status=lost', 'status'],
      ['?status=delivered&status=bounced', 'status'],
      ['?limit=0', 'limit'],
      ['?limit=101', 'limit'],
      ['?limit=ten', 'limit'],
      ['?limit=2.5', 'limit'],
      ['?since=yesterday', 'since'],
      ['?since=2026-02-30', 'since'],
      ['?until=2026-01-31T12:00:00', 'until'],
      ['?since=2026-02-01&until=2026-01-01', 'until'],
      ['?cursor=not%20a%20cursor', 'cursor'],
      [`?cursor=${Buffer.from('made up').toString('base64url')}`, 'cursor'],
      ['?tag=', 'tag'],
      ['?recipient=bob', 'recipient'],
      ['?stauts=delivered', 'stauts'],
    ];
    for (const [query, field] of badQueries) {
      it(`answers 400 invalid_request naming ${field} for ${query}`, async () => {
        const account = await createAccount(server.outpost);
        const response = await list(account.apiKey, query);
        assert.equal(response.status, 400, JSON.stringify(response.body));
        assert.equal(response.body.code, 'invalid_request');
        assert.deepEqual(response.body.details!.map((detail) => detail.field), [field]);
        assert.ok(response.body.message.includes(field), response.body.message);
      });
    }

    it('exports MessageListQuery for the OpenAPI document, describing every parameter', () => {
      const schema = z.toJSONSchema(MessageListQuery, { io: 'input' }) as { properties: Record<string, { description?: string }>; additionalProperties: boolean };
      assert.deepEqual(Object.keys(schema.properties).sort(), ['cursor', 'limit', 'recipient', 'since', 'status', 'tag', 'until']);
      for (const [name, property] of Object.entries(schema.properties)) assert.ok(property.description, `${name} has a description`);
      assert.equal(schema.additionalProperties, false);
    });
  });
});
