/**
 * Cluster mode against the real Redis on 127.0.0.1:6379: the Redis shared
 * store's semantics, and two Outpost nodes with their own spools serving one
 * set of accounts and domains.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { loadConfig } from '../../../config/index.js';
import { RedisSharedStore } from '../../../core/store/redis-shared-store.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { RawSmtpClient } from '../../support/smtp-client.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function removeNamespace(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${namespace}:*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

describe('cluster mode (Redis shared state)', () => {
  let namespace: string;

  beforeEach(() => {
    namespace = `outpost-test-${randomBytes(6).toString('hex')}`;
  });
  afterEach(() => removeNamespace(namespace));

  describe('RedisSharedStore', () => {
    let store: RedisSharedStore;
    beforeEach(async () => {
      store = await RedisSharedStore.connect(REDIS_URL, pino({ level: 'silent' }), namespace);
    });
    afterEach(() => store.close());

    it('keeps collections, temporary values with expiry, and counting windows', async () => {
      const accounts = store.collection<{ id: string; n: number }>('accounts');
      await accounts.put('a', { id: 'a', n: 1 });
      await accounts.put('b', { id: 'b', n: 2 });
      assert.deepEqual(await accounts.get('a'), { id: 'a', n: 1 });
      const read = (await accounts.get('a'))!;
      assert.throws(() => { read.n = 5; }, TypeError, 'values read are frozen, as on the embedded store');
      assert.deepEqual((await accounts.list()).map((entry) => entry.id).sort(), ['a', 'b']);
      await accounts.delete('a');
      assert.equal(await accounts.get('a'), undefined);

      assert.equal(await store.putIfAbsent('key', 'first', 60_000), true);
      assert.equal(await store.putIfAbsent('key', 'second', 60_000), false);
      assert.equal(await store.getTemporary('key'), 'first');
      await store.putWithTtl('short', 'x', 30);
      const deadline = Date.now() + 2000;
      while ((await store.getTemporary('short')) !== undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(await store.getTemporary('short'), undefined, 'a temporary value expires');

      assert.deepEqual([await store.increment('window', 60_000), await store.increment('window', 60_000), await store.increment('window', 60_000)], [1, 2, 3]);
    });

    it('refuses cluster mode without shared secret and admin keys', () => {
      assert.throws(() => loadConfig({ OUTPOST_REDIS_URL: REDIS_URL }), /OUTPOST_SECRET_KEY and OUTPOST_ADMIN_KEY/);
    });

    it('fails with a clear error when Redis cannot be reached', async () => {
      await assert.rejects(RedisSharedStore.connect('redis://127.0.0.1:1', pino({ level: 'silent' }), namespace), /cannot reach Redis at OUTPOST_REDIS_URL/);
    });
  });

  describe('two nodes', () => {
    let dns: TestDnsServer;
    let mx: TestMxServer;
    const nodes: TestOutpost[] = [];

    afterEach(async () => {
      for (const node of nodes.splice(0)) await node.close();
      await mx.close();
      await dns.close();
    });

    it('serve one set of accounts and domains, each delivering from its own spool', async () => {
      mx = await startMxServer();
      dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
      const env = {
        OUTPOST_REDIS_URL: REDIS_URL,
        OUTPOST_REDIS_NAMESPACE: namespace,
        OUTPOST_SENDING_IPS: '203.0.113.7',
        OUTPOST_SECRET_KEY: randomBytes(32).toString('hex'),
      };
      nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env }));
      nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env }));
      const [first, second] = nodes as [TestOutpost, TestOutpost];

      const { apiKey } = await createAccount(first.outpost);
      await addVerifiedDomain(first.outpost, dns, apiKey, 'acme.test');

      const listed = await request<{ items: { domain: string; status: string }[] }>(second.outpost, 'GET', '/v1/domains', { key: apiKey });
      assert.equal(listed.status, 200, 'the key created on the first node works on the second');
      assert.deepEqual(listed.body.items.map((item) => [item.domain, item.status]), [['acme.test', 'verified']]);

      const sent = await request<{ id: string }>(second.outpost, 'POST', '/v1/mail/send', {
        key: apiKey,
        json: { from: 'news@acme.test', to: ['user@dest.test'], subject: 'from node two', text: 'hi' },
      });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      assert.equal((await waitForStatus(second.outpost, sent.body.id, allFinal)).recipients[0]!.status, 'delivered');
      assert.equal(first.outpost.queuedRecipients + second.outpost.queuedRecipients, 0);
      assert.equal(mx.messages.length, 1);

      // the status and log of a message accepted by the second node, asked of the first
      type View = { id: string; subject: string; recipients: { status: string }[]; events: { type: string }[] };
      const deadline = Date.now() + 10_000;
      let shown = await request<View>(first.outpost, 'GET', `/v1/mail/messages/${sent.body.id}`, { key: apiKey });
      while (shown.body.recipients?.[0]?.status !== 'delivered' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        shown = await request<View>(first.outpost, 'GET', `/v1/mail/messages/${sent.body.id}`, { key: apiKey });
      }
      assert.equal(shown.status, 200, JSON.stringify(shown.body));
      assert.equal(shown.body.subject, 'from node two');
      assert.equal(shown.body.recipients[0]!.status, 'delivered');
      assert.ok(shown.body.events.some((event) => event.type === 'delivered'), JSON.stringify(shown.body.events));

      const fromFirst = await request<{ id: string }>(first.outpost, 'POST', '/v1/mail/send', {
        key: apiKey,
        json: { from: 'news@acme.test', to: ['user@dest.test'], subject: 'from node one', text: 'hi' },
      });
      assert.equal(fromFirst.status, 200, JSON.stringify(fromFirst.body));
      await waitForStatus(first.outpost, fromFirst.body.id, allFinal);
      await waitForStatus(second.outpost, fromFirst.body.id, allFinal);
      for (const node of [first, second]) {
        const listed = await request<{ items: { id: string }[] }>(node.outpost, 'GET', '/v1/mail/messages?status=delivered', { key: apiKey });
        assert.deepEqual(listed.body.items.map((item) => item.id), [fromFirst.body.id, sent.body.id], 'both nodes list both messages, newest first');
      }

      const other = await createAccount(second.outpost, 'other');
      assert.equal((await request(first.outpost, 'GET', `/v1/mail/messages/${sent.body.id}`, { key: other.apiKey })).status, 404, 'another account sees nothing');
      const otherList = await request<{ items: unknown[] }>(first.outpost, 'GET', '/v1/mail/messages', { key: other.apiKey });
      assert.deepEqual(otherList.body.items, []);
    });

    it('count failed SMTP AUTHs together: failures spread over both nodes lock the account out on each', async () => {
      mx = await startMxServer();
      dns = await startDnsServer({});
      const env = {
        OUTPOST_REDIS_URL: REDIS_URL,
        OUTPOST_REDIS_NAMESPACE: namespace,
        OUTPOST_SECRET_KEY: randomBytes(32).toString('hex'),
        OUTPOST_AUTH_DELAY: '0s',
        OUTPOST_AUTH_MAX_DELAY: '0s',
        OUTPOST_AUTH_LOCKOUT_FAILURES: '3',
      };
      nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env }));
      nodes.push(await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env }));
      const [first, second] = nodes as [TestOutpost, TestOutpost];
      const account = await createAccount(first.outpost);

      const auth = async (node: TestOutpost, password: string) => {
        const client = await RawSmtpClient.connect(node.outpost.submissionAddress!);
        try {
          await client.reply();
          await client.ehlo();
          await client.startTls();
          await client.ehlo();
          return (await client.authPlain(account.id, password)).code;
        } finally {
          client.close();
        }
      };
      assert.equal(await auth(first, 'op_wrong'), 535);
      assert.equal(await auth(second, 'op_wrong'), 535);
      assert.equal(await auth(first, 'op_wrong'), 535, 'the third failure, counted across both nodes, locks the account out');
      assert.equal(await auth(second, account.apiKey), 454, 'locked out on the node that saw one failure, even with the right key');
      assert.equal(await auth(first, account.apiKey), 454);
    });
  });
});
