/**
 * POST /v1/mail/send with an Idempotency-Key: a retry returns the first
 * receipt and sends once, the same key with another body is 422, a duplicate
 * while the first is still in progress is 409, keys are per account, and a
 * failed request leaves the key free for its retry.
 */
import assert from 'node:assert/strict';
import { definePlugin, type OutpostPlugin } from '../../../core/plugins/plugin-api.js';
import { createAccount, request } from '../../support/http.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { allFinal, waitForStatus } from '../../support/outpost.js';
import { message, sentAndFinal, type SendHarness, type SendResponse, useSendHarness } from './send-harness.js';

/** A validate hook that holds every message until released, to catch a request in progress. */
function gate(): { plugin: OutpostPlugin; entered: Promise<void>; release: () => void } {
  let release!: () => void;
  let entered!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  const enteredPromise = new Promise<void>((resolve) => (entered = resolve));
  const plugin = definePlugin({
    name: 'test-gate',
    register(api) {
      api.addHook('message:validate', async () => {
        entered();
        await released;
      });
    },
  });
  return { plugin, entered: enteredPromise, release };
}

describe('POST /v1/mail/send with an Idempotency-Key', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  const withKey = (key: string) => ({ 'idempotency-key': key });

  it('returns the first receipt to a retry and sends the message once', async () => {
    await setUp();
    const first = await harness.send(message({ subject: 'Once' }), withKey('order-1001'));
    await sentAndFinal(harness, first);
    const retry = await harness.send(message({ subject: 'Once' }), withKey('order-1001'));
    assert.equal(retry.status, 200);
    assert.deepEqual(retry.body, first.body);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(first.headers.get('idempotent-replayed'), null);
    assert.deepEqual(harness.accepted, [first.body.id]);
    assert.equal(harness.mx.messages.length, 1);
  });

  it('recognises the same request whatever the order of its JSON fields', async () => {
    await setUp();
    const fields = message({ tags: ['a'], test_mode: true });
    const first = await harness.send(fields, withKey('same-content'));
    const reordered = Object.fromEntries(Object.entries(fields).reverse());
    const retry = await harness.send(reordered, withKey('same-content'));
    assert.deepEqual(retry.body, first.body);
    assert.deepEqual(harness.accepted, [first.body.id]);
  });

  it('answers 422 idempotency_key_reused to the same key with a different body, sending nothing more', async () => {
    await setUp();
    const first = await harness.send(message({ subject: 'First' }), withKey('reused'));
    await sentAndFinal(harness, first);
    for (const changed of [message({ subject: 'Second' }), message({ subject: 'First', attachments: [{ filename: 'a.txt', content: 'YQ==' }] })]) {
      const response = await harness.send(changed, withKey('reused'));
      assert.equal(response.status, 422, JSON.stringify(response.body));
      assert.equal(response.body.code, 'idempotency_key_reused');
    }
    assert.deepEqual(harness.accepted, [first.body.id]);
    assert.equal(harness.mx.messages.length, 1);
  });

  it('answers 409 idempotency_in_progress to a duplicate while the first is still being processed', async () => {
    const held = gate();
    await setUp({ plugins: [held.plugin] });
    const firstPending = harness.send(message(), withKey('slow'));
    await held.entered;
    const duplicate = await harness.send(message(), withKey('slow'));
    assert.equal(duplicate.status, 409, JSON.stringify(duplicate.body));
    assert.equal(duplicate.body.code, 'idempotency_in_progress');
    held.release();
    const first: SendResponse = await firstPending;
    await sentAndFinal(harness, first);
    const retry = await harness.send(message(), withKey('slow'));
    assert.deepEqual(retry.body, first.body);
    assert.equal(harness.mx.messages.length, 1);
  });

  it('keeps keys per account: another account may use the same key', async () => {
    await setUp();
    const first = await harness.send(message({ test_mode: true }), withKey('shared-key'));
    const other = await createAccount(harness.server.outpost, 'other');
    await addVerifiedDomain(harness.server.outpost, harness.dns, other.apiKey, 'other-sender.test');
    const theirs = await request<SendResponse['body']>(harness.server.outpost, 'POST', '/v1/mail/send', {
      key: other.apiKey,
      json: message({ from: 'news@other-sender.test', test_mode: true }),
      headers: withKey('shared-key'),
    });
    assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
    assert.notEqual(theirs.body.id, first.body.id);
    assert.deepEqual(harness.accepted, [first.body.id, theirs.body.id]);
  });

  it('frees the key of a request that failed, so its retry is sent', async () => {
    await setUp();
    const failed = await harness.send(message({ to: ['nobody'] }), withKey('after-failure'));
    assert.equal(failed.status, 400);
    // a corrected request is a different body: with the claim released it is simply sent
    const fixed = await harness.send(message(), withKey('after-failure'));
    assert.equal(fixed.status, 200, JSON.stringify(fixed.body));
    await waitForStatus(harness.server.outpost, fixed.body.id, allFinal);
    assert.equal(harness.mx.messages.length, 1);
  });
});
