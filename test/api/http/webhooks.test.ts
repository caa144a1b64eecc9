/**
 * Webhooks end to end, with a real HTTP receiver on loopback: registration and
 * its checks (URL, private addresses, events), each subscribed event arriving
 * as a signed JSON POST (the HMAC checked here as a receiver would), nothing
 * for events not asked for or for another account's mail, a failed request
 * tried again, and a deleted webhook left alone.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startWebhookReceiver as startReceiver, type ReceivedWebhook as Received, type WebhookReceiver as Receiver } from '../../support/webhook-receiver.js';
import { message, sentAndFinal, startSendHarness, type SendHarness, type SendResponse } from './send-harness.js';

/** What a receiver does with X-Outpost-Signature: recompute the HMAC of the body, and look at its created_at. */
function signatureValid(received: Received, secret: string): boolean {
  const match = /^sha256=([0-9a-f]{64})$/.exec(String(received.headers['x-outpost-signature']));
  if (!match) return false;
  return createHmac('sha256', secret).update(received.body).digest('hex') === match[1] && Math.abs(Date.now() - Date.parse(received.json.created_at)) < 60_000;
}

describe('webhooks', () => {
  let harness: SendHarness;
  let receiver: Receiver;

  afterEach(async () => {
    await harness?.close();
    await receiver?.close();
  });

  const call = <T>(method: string, path: string, json?: unknown, key = harness.apiKey) =>
    request<T & { code?: string; message?: string; details?: { field: string; problem: string }[] }>(harness.server.outpost, method, path, { key, ...(json === undefined ? {} : { json }) });

  it('POSTs each subscribed event, signed, and nothing else', async () => {
    harness = await startSendHarness({ mx: { rcptReply: (address) => (address === 'gone@dest.test' ? '550 5.1.1 no such user' : undefined) } });
    receiver = await startReceiver();
    const created = await call<{ id: string; url: string; events: string[]; secret: string; created_at: string }>('POST', '/v1/webhooks', { url: receiver.url, events: ['accepted', 'delivered'] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.match(created.body.secret, /^whsec_/);
    assert.deepEqual(created.body.events, ['accepted', 'delivered']);
    const listed = await call<{ items: Record<string, unknown>[] }>('GET', '/v1/webhooks');
    assert.deepEqual(listed.body.items.map((item) => Object.keys(item).sort()), [['created_at', 'events', 'id', 'url']], 'the secret is shown only once');
    // and kept sealed: not in any file of the data dir (LevelDB's log holds what was just written)
    const spoolDir = path.join(harness.server.dataDir, 'spool');
    for (const file of await readdir(spoolDir)) {
      assert.ok(!(await readFile(path.join(spoolDir, file))).includes(created.body.secret), `the secret in clear in ${file}`);
    }

    const sent = await harness.send(message({ to: ['user@dest.test', 'gone@dest.test'] }));
    await sentAndFinal(harness, sent);
    const requests = await receiver.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 200)); // a bounced event, not asked for, would have come by now
    assert.deepEqual(requests.map((each) => each.json.type).sort(), ['accepted', 'delivered']);
    for (const each of requests) {
      assert.ok(signatureValid(each, created.body.secret), `signature of ${each.json.type}`);
      assert.ok(!signatureValid(each, 'whsec_some-other-secret'));
      assert.equal(each.headers['content-type'], 'application/json');
      assert.equal(each.json.data.message_id, sent.body.id);
    }
    const delivered = requests.find((each) => each.json.type === 'delivered')!;
    assert.equal(delivered.json.data.recipient, 'user@dest.test');
    assert.match(String(delivered.json.data.response), /^250/);
    assert.deepEqual(requests.find((each) => each.json.type === 'accepted')!.json.data.recipients, ['user@dest.test', 'gone@dest.test']);

    // another account's mail never reaches this webhook
    const other = await createAccount(harness.server.outpost, 'other');
    await addVerifiedDomain(harness.server.outpost, harness.dns, other.apiKey, 'other.test');
    const theirs: SendResponse = await request(harness.server.outpost, 'POST', '/v1/mail/send', { key: other.apiKey, json: message({ from: 'news@other.test' }) });
    await sentAndFinal(harness, theirs);
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.requests.length, 2);
    assert.deepEqual((await call<{ items: unknown[] }>('GET', '/v1/webhooks', undefined, other.apiKey)).body.items, []);
    assert.equal((await call('DELETE', `/v1/webhooks/${created.body.id}`, undefined, other.apiKey)).status, 404);
  });

  it('tries a failed request again, and stops sending once the webhook is deleted', async () => {
    harness = await startSendHarness({ env: { OUTPOST_WEBHOOK_RETRY_SCHEDULE: '50ms,50ms' } });
    receiver = await startReceiver();
    receiver.answer = (index) => (index === 0 ? 500 : 200);
    const created = await call<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: receiver.url, events: ['accepted'] });
    const sent = await harness.send(message());
    const [first] = await receiver.waitFor(1);
    assert.equal(first!.json.data.message_id, sent.body.id, 'the same event, after the 500');

    assert.equal((await call('DELETE', `/v1/webhooks/${created.body.id}`)).status, 204);
    await sentAndFinal(harness, await harness.send(message()));
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(receiver.requests.length, 1);
    assert.equal((await call('DELETE', `/v1/webhooks/${created.body.id}`)).status, 404);
  });

  it('refuses a bad URL, credentials in it, and unknown or missing events, naming the field', async () => {
    harness = await startSendHarness();
    const cases: [unknown, string, RegExp][] = [
      [{ url: 'not a url', events: ['accepted'] }, 'url', /not an absolute URL/],
      [{ url: 'ftp://example.com/x', events: ['accepted'] }, 'url', /ftp: is not supported/],
      [{ url: 'https://user:pass@example.com/x', events: ['accepted'] }, 'url', /credentials/],
      [{ url: 'https://example.com/x', events: ['accepted', 'exploded'] }, 'events', /unknown event "exploded"; the events are accepted, delivered, deferred, bounced/],
      [{ url: 'https://example.com/x', events: [] }, 'events', /./],
      [{ url: 'https://example.com/x' }, 'events', /./],
    ];
    for (const [body, field, problem] of cases) {
      const response = await call('POST', '/v1/webhooks', body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.details?.[0]?.field, field, JSON.stringify(response.body));
      assert.match(response.body.message!, problem);
    }
    assert.deepEqual((await call<{ items: unknown[] }>('GET', '/v1/webhooks')).body.items, []);
  });

  it('resolves the URL\'s host through OUTPOST_DNS_SERVERS, and does not call it when it points into private space', async () => {
    for (const allowPrivateTargets of [true, false]) {
      harness = await startSendHarness({ env: { OUTPOST_ALLOW_PRIVATE_TARGETS: String(allowPrivateTargets) } });
      receiver = await startReceiver();
      harness.dns.set('hooks.example.test', { A: ['127.0.0.1'] });
      const url = receiver.url.replace('127.0.0.1', 'hooks.example.test');
      assert.equal((await call('POST', '/v1/webhooks', { url, events: ['accepted'] })).status, 201, 'a name is checked when it is called');
      assert.equal((await harness.send(message())).status, 200);
      if (allowPrivateTargets) {
        await receiver.waitFor(1);
      } else {
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(receiver.requests.length, 0, 'hooks.example.test resolves to 127.0.0.1: not called');
      }
      if (allowPrivateTargets) {
        await harness.close(); // the second round's are closed by afterEach
        await receiver.close();
      }
    }
  });

  it('refuses private addresses unless OUTPOST_ALLOW_PRIVATE_TARGETS', async () => {
    harness = await startSendHarness({ env: { OUTPOST_ALLOW_PRIVATE_TARGETS: 'false' } });
    for (const url of ['http://127.0.0.1:8080/x', 'http://10.1.2.3/x', 'http://[::1]/x', 'http://localhost/x', 'http://169.254.169.254/latest/meta-data']) {
      const response = await call('POST', '/v1/webhooks', { url, events: ['accepted'] });
      assert.equal(response.status, 400, url);
      assert.match(response.body.message!, /address space; Outpost does not call private addresses/, url);
    }
  });
});
