/**
 * Webhook retries with OUTPOST_WORKERS=2 (a primary and two forked workers, in
 * a child process): the retry loop runs in the primary over its own store, a
 * failed request's retry survives `kill -9` of the primary (the delivery was
 * written, fsynced, before and after the attempt) and is sent once after the
 * restart on the same data dir, and the log reads alike from every worker.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, testEnv } from '../../support/outpost.js';
import { OutpostChild, withTimeout } from '../../support/outpost-process.js';
import { prepareRestSender, SENDER, SENDING_ZONE } from '../../support/rest-sender.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

interface DeliveryJson {
  event_id: string;
  status: string;
  attempts: number;
  last_http_status: number | null;
}

describe('webhook retries with workers (OUTPOST_WORKERS=2)', function () {
  // three processes start twice, each loading the server with tsx
  this.timeout(120_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let receiver: WebhookReceiver;
  const children: OutpostChild[] = [];

  beforeEach(async () => {
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, ...SENDING_ZONE });
    mx = await startMxServer();
    receiver = await startWebhookReceiver();
  });

  afterEach(async () => {
    for (const child of children.splice(0)) await child.stop('SIGTERM', 30_000).catch(() => child.dispose());
    await receiver.close();
    await mx.close();
    await dns.close();
  });

  async function start(env: Record<string, string>): Promise<OutpostChild> {
    const child = new OutpostChild({ env });
    children.push(child);
    await withTimeout(child.ready, 45_000, () => `primary with workers ready; output: ${child.output.join('')}`);
    return child;
  }

  it('sends a retry once after kill -9 of the primary and a restart on the same data dir', async () => {
    const dataDir = await makeDataDir();
    const env = { ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }), OUTPOST_WORKERS: '2', OUTPOST_API_RATE_LIMIT: '0', OUTPOST_WEBHOOK_RETRY_SCHEDULE: '2s' };
    const first = await start(env);
    const sender = await prepareRestSender(first, dns);
    const created = await request<{ id: string }>(first, 'POST', '/v1/webhooks', { key: sender.apiKey, json: { url: receiver.url, events: ['accepted'] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    let calls = 0;
    receiver.answer = () => (calls++ === 0 ? 500 : 200);
    const sent = await request<{ id: string }>(first, 'POST', '/v1/mail/send', { key: sender.apiKey, json: { from: SENDER, to: ['user@dest.test'], subject: 'hi', text: 'hi' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));

    const log = (child: OutpostChild) => request<{ items: DeliveryJson[] }>(child, 'GET', `/v1/webhooks/${created.body.id}/deliveries`, { key: sender.apiKey });
    const until = async (child: OutpostChild, done: (item: DeliveryJson | undefined) => boolean): Promise<DeliveryJson> => {
      const deadline = Date.now() + 15_000;
      let item = (await log(child)).body.items?.[0];
      while (!done(item) && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 25));
        item = (await log(child)).body.items?.[0];
      }
      assert.ok(done(item), JSON.stringify(item));
      return item!;
    };
    const failed = await until(first, (item) => item?.attempts === 1);
    assert.equal(failed.status, 'pending');
    await first.stop('SIGKILL');

    const second = await start(env);
    const [retried] = await receiver.waitFor(1, 15_000);
    assert.equal(retried!.json.id, failed.event_id);
    assert.equal(retried!.json.data.message_id, sent.body.id);
    const delivered = await until(second, (item) => item?.status === 'delivered');
    assert.equal(delivered.attempts, 2);
    assert.equal(delivered.last_http_status, 200);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // a second retry loop would have sent it again by now
    assert.equal(calls, 2, 'one failed request, one retry');
  });
});
