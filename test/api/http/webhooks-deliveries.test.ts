/**
 * Webhook deliveries are durable and each webhook has a log of them: a
 * request that failed is tried again after Outpost is stopped and started
 * again on the same data dir; GET /v1/webhooks/:id/deliveries shows each
 * delivery's status, attempts and last error to the webhook's account only;
 * the log keeps OUTPOST_WEBHOOK_LOG_SIZE deliveries and goes with its webhook.
 * Real servers throughout: DNS, the destination MX, Outpost over HTTP and an
 * HTTP receiver on loopback.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request, type HttpTarget } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, startOutpost, type TestOutpost } from '../../support/outpost.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

interface DeliveryJson {
  event_id: string;
  event_type: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_error: string | null;
  last_http_status: number | null;
  next_attempt_at: string | null;
  created_at: string;
  updated_at: string;
}

type Deliveries = { items: DeliveryJson[]; code?: string; message?: string };

const SENDER = 'news@acme.test';

describe('webhook deliveries: durable retries and the delivery log', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let receiver: WebhookReceiver;
  const servers: TestOutpost[] = [];

  beforeEach(async () => {
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
    mx = await startMxServer();
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    for (const server of servers.splice(0)) await server.close();
    await receiver.close();
    await mx.close();
    await dns.close();
  });

  async function start(env: Record<string, string>, dataDir?: string): Promise<TestOutpost> {
    const server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env, ...(dataDir ? { dataDir } : {}) });
    servers.push(server);
    return server;
  }

  async function stop(server: TestOutpost): Promise<void> {
    servers.splice(servers.indexOf(server), 1);
    await server.close();
  }

  /** An account with a verified domain and a webhook for `accepted` pointing at the receiver. */
  async function accountWithWebhook(target: HttpTarget): Promise<{ apiKey: string; webhookId: string }> {
    const { apiKey } = await createAccount(target);
    await addVerifiedDomain(target, dns, apiKey, 'acme.test');
    const created = await request<{ id: string }>(target, 'POST', '/v1/webhooks', { key: apiKey, json: { url: receiver.url, events: ['accepted'] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return { apiKey, webhookId: created.body.id };
  }

  async function send(target: HttpTarget, apiKey: string, subject = 'Hello'): Promise<string> {
    const sent = await request<{ id: string }>(target, 'POST', '/v1/mail/send', { key: apiKey, json: { from: SENDER, to: ['user@dest.test'], subject, text: 'Hi.' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return sent.body.id;
  }

  const deliveries = (target: HttpTarget, apiKey: string, webhookId: string, query = '') =>
    request<Deliveries>(target, 'GET', `/v1/webhooks/${webhookId}/deliveries${query}`, { key: apiKey });

  /** Polls the log until `done` holds; fails with the last answer. */
  async function logUntil(target: HttpTarget, apiKey: string, webhookId: string, done: (items: DeliveryJson[]) => boolean, timeoutMs = 10_000): Promise<DeliveryJson[]> {
    const deadline = Date.now() + timeoutMs;
    let last = await deliveries(target, apiKey, webhookId);
    while (!(last.status === 200 && done(last.body.items)) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      last = await deliveries(target, apiKey, webhookId);
    }
    assert.ok(last.status === 200 && done(last.body.items), `delivery log: ${last.status} ${JSON.stringify(last.body)}`);
    return last.body.items;
  }

  it('tries a failed request again after a restart on the same data dir, and the log shows each attempt', async () => {
    const dataDir = await makeDataDir();
    const env = { OUTPOST_WEBHOOK_RETRY_SCHEDULE: '2s,2s' };
    const first = await start(env, dataDir);
    const { apiKey, webhookId } = await accountWithWebhook(first.outpost);
    let calls = 0;
    receiver.answer = () => (calls++ === 0 ? 500 : 200);

    const messageId = await send(first.outpost, apiKey);
    const [failed] = await logUntil(first.outpost, apiKey, webhookId, (items) => items[0]?.attempts === 1);
    assert.equal(failed!.status, 'pending');
    assert.equal(failed!.event_type, 'accepted');
    assert.equal(failed!.last_http_status, 500);
    assert.equal(failed!.last_error, 'answered HTTP 500');
    assert.ok(Date.parse(failed!.next_attempt_at!) > Date.parse(failed!.updated_at), 'the next attempt is scheduled');
    await stop(first); // before the retry is due: it waits in the store, not in memory

    const second = await start(env, dataDir);
    const [retried] = await receiver.waitFor(1, 10_000);
    assert.equal(calls, 2, 'one failed request, one retry');
    assert.equal(retried!.json.data.message_id, messageId);
    assert.equal(retried!.json.id, failed!.event_id, 'the same event: same id in the body...');
    assert.equal(retried!.headers['x-outpost-event-id'], failed!.event_id, '...and in X-Outpost-Event-Id, for receivers to drop repeats');
    const [delivered] = await logUntil(second.outpost, apiKey, webhookId, (items) => items[0]?.status === 'delivered');
    assert.deepEqual(
      { ...delivered!, created_at: undefined, updated_at: undefined },
      { event_id: failed!.event_id, event_type: 'accepted', status: 'delivered', attempts: 2, last_error: null, last_http_status: 200, next_attempt_at: null, created_at: undefined, updated_at: undefined },
    );
    assert.equal(delivered!.created_at, failed!.created_at);
  });

  it('gives up after the schedule, and shows the log to the webhook\'s account only', async () => {
    const server = await start({ OUTPOST_WEBHOOK_RETRY_SCHEDULE: '100ms' });
    const { apiKey, webhookId } = await accountWithWebhook(server.outpost);
    receiver.answer = () => 503;
    await send(server.outpost, apiKey);
    const [given] = await logUntil(server.outpost, apiKey, webhookId, (items) => items[0]?.status === 'failed');
    assert.equal(given!.attempts, 2);
    assert.equal(given!.last_http_status, 503);
    assert.equal(given!.next_attempt_at, null);

    const other = await createAccount(server.outpost, 'other');
    const theirs = await deliveries(server.outpost, other.apiKey, webhookId);
    assert.equal(theirs.status, 404, 'another account\'s webhook is not found');
    assert.equal(theirs.body.code, 'not_found');
    assert.equal((await deliveries(server.outpost, apiKey, 'wh0000000000000000')).status, 404);
    assert.equal((await request(server.outpost, 'GET', `/v1/webhooks/${webhookId}/deliveries`)).status, 401);
    for (const query of ['?limit=0', '?limit=1001', '?limit=x', '?page=2']) {
      const refused = await deliveries(server.outpost, apiKey, webhookId, query);
      assert.equal(refused.status, 400, query);
    }
  });

  it('keeps OUTPOST_WEBHOOK_LOG_SIZE deliveries, newest first, and drops the log with its webhook', async () => {
    const server = await start({ OUTPOST_WEBHOOK_LOG_SIZE: '3' });
    const { apiKey, webhookId } = await accountWithWebhook(server.outpost);
    for (let index = 1; index <= 5; index++) {
      await send(server.outpost, apiKey, `message ${index}`);
      await receiver.waitFor(index);
      await logUntil(server.outpost, apiKey, webhookId, (items) => items.filter((item) => item.status === 'delivered').length === Math.min(index, 3));
    }
    const sentIds = receiver.requests.map((each) => each.json.id);
    const kept = await logUntil(server.outpost, apiKey, webhookId, (items) => items.length === 3);
    assert.deepEqual(kept.map((item) => item.event_id), sentIds.slice(2).reverse(), 'the newest three, newest first');
    assert.deepEqual((await deliveries(server.outpost, apiKey, webhookId, '?limit=2')).body.items.map((item) => item.event_id), sentIds.slice(3).reverse());

    assert.equal((await request(server.outpost, 'DELETE', `/v1/webhooks/${webhookId}`, { key: apiKey })).status, 204);
    assert.equal((await deliveries(server.outpost, apiKey, webhookId)).status, 404);
  });
});
