/**
 * The suppression list end to end: the REST endpoints (list, add, look up,
 * remove; validation, one account never seeing another's), a send to a
 * suppressed address (status `suppressed`, counted as rejected, nothing
 * delivered; every recipient suppressed refuses the send), and the list filling itself
 * from a hard bounce but not from a temporary failure.
 */
import assert from 'node:assert/strict';
import { createAccount, request } from '../../support/http.js';
import { message, sentAndFinal, startSendHarness, type SendHarness } from './send-harness.js';

interface SuppressionJson {
  address: string;
  reason: string;
  created_at: string;
}

describe('suppressions', () => {
  let harness: SendHarness;

  afterEach(() => harness?.close());

  const call = <T = SuppressionJson>(method: string, path: string, json?: unknown, key = harness.apiKey) =>
    request<T & { code?: string; message?: string; details?: { field: string; problem: string }[] }>(harness.server.outpost, method, path, { key, ...(json === undefined ? {} : { json }) });

  it('adds, lists, looks up and removes addresses, case-insensitively, per account', async () => {
    harness = await startSendHarness();
    const added = await call('POST', '/v1/suppressions', { address: 'Bob@Dest.test' });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.address, 'bob@dest.test');
    assert.equal(added.body.reason, 'manual');
    assert.ok(!Number.isNaN(Date.parse(added.body.created_at)));

    const again = await call('POST', '/v1/suppressions', { address: 'bob@dest.test' });
    assert.equal(again.status, 200, 'already listed: the first entry, unchanged');
    assert.deepEqual(again.body, added.body);
    await call('POST', '/v1/suppressions', { address: 'carol@dest.test' });

    const listed = await call<{ items: SuppressionJson[] }>('GET', '/v1/suppressions');
    assert.deepEqual(listed.body.items.map((item) => item.address).sort(), ['bob@dest.test', 'carol@dest.test']);
    assert.equal((await call('GET', '/v1/suppressions/BOB@dest.test')).body.address, 'bob@dest.test');
    assert.equal((await call('GET', `/v1/suppressions/${encodeURIComponent('bob@dest.test')}`)).status, 200, 'the percent-encoded form the status text gives works too');

    const other = await createAccount(harness.server.outpost, 'other');
    assert.deepEqual((await call<{ items: unknown[] }>('GET', '/v1/suppressions', undefined, other.apiKey)).body.items, [], 'another account sees none of them');
    assert.equal((await call('DELETE', '/v1/suppressions/bob@dest.test', undefined, other.apiKey)).status, 404, 'nor removes them');

    assert.equal((await call('DELETE', '/v1/suppressions/Bob@dest.test')).status, 204);
    const gone = await call('GET', '/v1/suppressions/bob@dest.test');
    assert.equal(gone.status, 404);
    assert.equal(gone.body.code, 'not_found');
    assert.match(gone.body.message!, /not on this account's suppression list/);
    assert.equal((await call('DELETE', '/v1/suppressions/bob@dest.test')).status, 404);
  });

  it('refuses what is not a bare address, naming the field', async () => {
    harness = await startSendHarness();
    for (const address of ['not-an-address', 'Bob <bob@dest.test>', 'a@b.test\r\nBcc: x@y.test', '']) {
      const response = await call('POST', '/v1/suppressions', { address });
      assert.equal(response.status, 400, address);
      assert.equal(response.body.code, 'invalid_request');
      assert.equal(response.body.details?.[0]?.field, 'address', JSON.stringify(response.body));
    }
    assert.equal((await call('POST', '/v1/suppressions', { address: 'a@dest.test', reason: 'x' })).status, 400, 'unknown fields are refused');
    assert.equal((await call('GET', '/v1/suppressions/nonsense')).status, 400);
    assert.deepEqual((await call<{ items: unknown[] }>('GET', '/v1/suppressions')).body.items, []);
  });

  it('does not send to a suppressed address: status suppressed, counted as rejected; every recipient suppressed is a 400 no_valid_recipients', async () => {
    harness = await startSendHarness();
    await call('POST', '/v1/suppressions', { address: 'bob@dest.test' });
    const response = await harness.send(message({ to: ['BOB@dest.test', 'alice@dest.test'] }));
    assert.equal(response.body.accepted_recipients, 1);
    assert.equal(response.body.rejected_recipients, 1);
    const view = await sentAndFinal(harness, response);
    const bob = view.recipients.find((recipient) => recipient.address === 'BOB@dest.test')!;
    assert.equal(bob.status, 'suppressed');
    assert.match(bob.lastResponse ?? '', /suppression list since .* \(manual\); remove it with DELETE \/v1\/suppressions\/bob%40dest\.test/);
    const [received] = await harness.mx.waitForMessages(1);
    assert.deepEqual(received!.rcptTo, ['alice@dest.test']);

    const refused = await harness.send(message({ to: ['bob@dest.test'] }));
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'no_valid_recipients');
    assert.match(refused.body.message, /bob@dest\.test: on this account's suppression list/);
    assert.equal(harness.mx.messages.length, 1);
  });

  it('suppresses an address that bounced with a 5xx, not one that failed temporarily', async () => {
    harness = await startSendHarness({
      mx: { rcptReply: (address) => (address === 'gone@dest.test' ? '550 5.1.1 no such user' : address === 'busy@dest.test' ? '452 4.2.2 mailbox full' : undefined) },
      env: { OUTPOST_RETRY_SCHEDULE: '50ms', OUTPOST_MAX_QUEUE_TIME: '200ms' },
    });
    const view = await sentAndFinal(harness, await harness.send(message({ to: ['gone@dest.test', 'busy@dest.test'] })));
    assert.deepEqual(view.recipients.map((recipient) => recipient.status), ['bounced', 'bounced']);

    const deadline = Date.now() + 5000;
    let listed = await call<{ items: SuppressionJson[] }>('GET', '/v1/suppressions');
    while (listed.body.items.length === 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      listed = await call<{ items: SuppressionJson[] }>('GET', '/v1/suppressions');
    }
    assert.deepEqual(listed.body.items.map((item) => [item.address, item.reason]), [['gone@dest.test', 'hard_bounce']]);

    const next = await harness.send(message({ to: ['gone@dest.test', 'user@dest.test'] }));
    assert.equal(next.body.rejected_recipients, 1, 'the next send skips it');
  });
});
