/**
 * Webhook deliveries in cluster mode, against the real Redis on
 * 127.0.0.1:6379 (a namespace per test, removed after it): a delivery a
 * stopped node left pending is sent by another node, and when several nodes'
 * retry loops find the same deliveries due, each attempt is made once (the
 * claims), so a receiver sees every event once per attempt.
 */
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { createDnsResolver } from '../../../core/dns-resolver.js';
import { RedisSharedStore } from '../../../core/store/redis-shared-store.js';
import { WebhookDeliveryLog, type WebhookDelivery } from '../../../core/webhooks/delivery-log.js';
import { WebhookSender } from '../../../core/webhooks/webhook-sender.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request, type HttpTarget } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { startOutpost, type TestOutpost } from '../../support/outpost.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

const REDIS_URL = process.env.OUTPOST_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const silent = pino({ level: 'silent' });

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

interface DeliveryJson {
  event_id: string;
  status: string;
  attempts: number;
  last_error: string | null;
  last_http_status: number | null;
  next_attempt_at: string | null;
  updated_at: string;
}

describe('webhook deliveries in cluster mode (Redis)', () => {
  let namespace: string;
  let receiver: WebhookReceiver;

  beforeEach(async () => {
    namespace = `outpost-test-${randomBytes(6).toString('hex')}`;
    receiver = await startWebhookReceiver();
  });
  afterEach(async () => {
    await receiver.close();
    await removeNamespace(namespace);
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

    it('the second node sends a retry the stopped first node left pending', async () => {
      mx = await startMxServer();
      dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
      const env = {
        OUTPOST_REDIS_URL: REDIS_URL,
        OUTPOST_REDIS_NAMESPACE: namespace,
        OUTPOST_SENDING_IPS: '203.0.113.7',
        OUTPOST_SECRET_KEY: randomBytes(32).toString('hex'),
        OUTPOST_WEBHOOK_RETRY_SCHEDULE: '1s',
      };
      const first = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env });
      nodes.push(first);
      const { apiKey } = await createAccount(first.outpost);
      await addVerifiedDomain(first.outpost, dns, apiKey, 'acme.test');
      const webhook = await request<{ id: string }>(first.outpost, 'POST', '/v1/webhooks', { key: apiKey, json: { url: receiver.url, events: ['accepted'] } });
      let calls = 0;
      receiver.answer = () => (calls++ === 0 ? 500 : 200);
      const sent = await request<{ id: string }>(first.outpost, 'POST', '/v1/mail/send', { key: apiKey, json: { from: 'news@acme.test', to: ['user@dest.test'], subject: 'hi', text: 'hi' } });
      assert.equal(sent.status, 200, JSON.stringify(sent.body));
      const log = (node: HttpTarget) => request<{ items: DeliveryJson[] }>(node, 'GET', `/v1/webhooks/${webhook.body.id}/deliveries`, { key: apiKey });
      const deadline = Date.now() + 10_000;
      while ((await log(first.outpost)).body.items[0]?.attempts !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      const [failed] = (await log(first.outpost)).body.items;
      assert.equal(failed?.status, 'pending', JSON.stringify(failed));
      await nodes.splice(0)[0]!.close();

      const second = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env });
      nodes.push(second);
      const [retried] = await receiver.waitFor(1, 10_000);
      assert.equal(retried!.json.data.message_id, sent.body.id);
      assert.equal(retried!.headers['x-outpost-event-id'], failed!.event_id);
      let shown = (await log(second.outpost)).body.items[0];
      while (shown?.status !== 'delivered' && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        shown = (await log(second.outpost)).body.items[0];
      }
      assert.deepEqual(shown, { ...failed, status: 'delivered', attempts: 2, last_error: null, last_http_status: 200, next_attempt_at: null, updated_at: shown?.updated_at });
      assert.equal(calls, 2);
    });
  });

  describe('claims', () => {
    const stores: RedisSharedStore[] = [];
    const senders: WebhookSender[] = [];
    afterEach(async () => {
      for (const sender of senders.splice(0)) await sender.close();
      for (const store of stores.splice(0)) await store.close();
    });

    async function node(): Promise<{ log: WebhookDeliveryLog; store: RedisSharedStore }> {
      const store = await RedisSharedStore.connect(REDIS_URL, silent, namespace);
      stores.push(store);
      return { store, log: new WebhookDeliveryLog(store, 100) };
    }

    function pending(now: number): WebhookDelivery {
      const id = randomUUID();
      return { id, accountId: 'a0001', webhookId: 'wh0001', eventType: 'delivered', status: 'pending', attempts: 0, nextAttemptAt: now, createdAt: now, updatedAt: now, body: JSON.stringify({ id, type: 'delivered', data: {} }) };
    }

    it('lets one node claim an attempt; the next attempt is claimable once the first is recorded', async () => {
      const [one, two] = [await node(), await node()];
      const delivery = pending(Date.now());
      await one.log.create(delivery, Date.now() - 1);
      assert.deepEqual(await two.log.dueBy(Date.now(), 10), [{ accountId: 'a0001', id: delivery.id }], 'due on every node');
      const claims = await Promise.all([one.log.claim(delivery, 'one', 60_000), two.log.claim(delivery, 'two', 60_000), one.log.claim(delivery, 'one', 60_000)]);
      assert.equal(claims.filter(Boolean).length, 1, JSON.stringify(claims));
      await one.log.update({ ...delivery, attempts: 1, nextAttemptAt: Date.now() });
      const next = (await two.log.get('a0001', delivery.id))!;
      assert.equal(await two.log.claim(next, 'two', 60_000), true, 'attempt 2 is a new claim');
      assert.equal(await one.log.claim(next, 'one', 60_000), false);
    });

    it('three nodes\' retry loops send each due delivery once', async () => {
      const count = 12;
      const now = Date.now();
      const created = (await node()).log;
      const deliveries = Array.from({ length: count }, () => pending(now));
      for (const delivery of deliveries) await created.create(delivery, now - 1);
      for (let index = 0; index < 3; index++) {
        const { log } = await node();
        const sender = new WebhookSender({
          resolver: createDnsResolver([]),
          allowPrivateTargets: true,
          timeoutMs: 5000,
          retryScheduleMs: [60_000],
          deliveries: log,
          webhookFor: async (accountId, webhookId) => ({ id: webhookId, accountId, url: receiver.url, events: ['delivered'], createdAt: now, secret: 'whsec_test' }),
          logger: silent,
        });
        senders.push(sender);
        sender.startRetries();
      }
      await receiver.waitFor(count, 10_000);
      await new Promise((resolve) => setTimeout(resolve, 2500)); // two more rounds of every loop: a repeat would have come
      assert.deepEqual(receiver.requests.map((each) => each.json.id).sort(), deliveries.map((delivery) => delivery.id).sort(), 'each once');
      for (const delivery of deliveries) assert.equal((await created.get('a0001', delivery.id))?.status, 'delivered');
      assert.deepEqual(await created.dueBy(Date.now() + 3_600_000, 100), [], 'nothing left due');
    });
  });
});
