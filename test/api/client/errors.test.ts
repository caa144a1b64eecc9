/**
 * What the client does when a send does not simply succeed, against real
 * Outpost servers: a wrong key, an unverified domain, a 413 (answered while the
 * upload is still going) and a 429 each surface as OutpostApiError with the
 * API's code and status; a 429 whose Retry-After is short is waited out and
 * retried; a send whose answer is lost on the way is retried with the same
 * Idempotency-Key and delivered once.
 */
import assert from 'node:assert/strict';
import { Outpost, OutpostApiError, type RouteName } from '../../../api/client/index.js';
import { startClientHarness, testMessage, type ClientHarness } from '../../support/client-harness.js';
import { startDroppingProxy, type DroppingProxy } from '../../support/dropping-proxy.js';
import { createAccount } from '../../support/http.js';

function isApiError(code: string, status: number) {
  return (error: unknown) => {
    assert.ok(error instanceof OutpostApiError, `an OutpostApiError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    assert.equal(error.status, status);
    assert.ok(error.message.length > 20, 'the server\'s message, saying what to do');
    return true;
  };
}

describe('client errors and retries', function () {
  describe('refusals surface as OutpostApiError with the API\'s code and status', () => {
    let harness: ClientHarness;

    before(async () => {
      // one send per account per hour, and small attachments: each refusal is easy to reach
      harness = await startClientHarness({ env: { OUTPOST_API_RATE_LIMIT: '1', OUTPOST_API_RATE_WINDOW: '1h', OUTPOST_API_MAX_ATTACHMENT_BYTES: '65536' } });
    });
    after(() => harness?.close());

    it('a wrong key: 401 unauthorized, not retried', async () => {
      const tries: number[] = [];
      const client = harness.newClient({ key: 'op_a00000000000000000000_wrongwrongwrongwrongwrongwrongwrongwrong0', onRequest: ({ attempt }) => void tries.push(attempt) });
      await assert.rejects(client.mail.send(testMessage()), isApiError('unauthorized', 401));
      assert.deepEqual(tries, [1]);
    });

    it('an unverified sender domain: 422 domain_not_verified', async () => {
      const { apiKey } = await createAccount(harness.server.outpost, 'unverified');
      const client = harness.newClient({ key: apiKey });
      await assert.rejects(client.mail.send(testMessage({ from: 'news@elsewhere.test' })), isApiError('domain_not_verified', 422));
    });

    it('attachments over the limit: 413 attachment_too_large, answered before the upload ends', async () => {
      const progress: number[] = [];
      await assert.rejects(
        harness.client.mail.send(testMessage({ attachments: [{ content: Buffer.alloc(4 * 1024 * 1024, 1), filename: 'big.bin' }] }), { onUploadProgress: ({ sentBytes }) => progress.push(sentBytes) }),
        isApiError('attachment_too_large', 413),
      );
      assert.ok(progress.at(-1)! < 4 * 1024 * 1024, `the client stopped uploading once refused (sent ${progress.at(-1)} bytes)`);
    });

    it('over the rate limit: 429 rate_limited with Retry-After, given up at once when the wait is longer than the client waits', async () => {
      const { apiKey } = await createAccount(harness.server.outpost, 'rate-limited');
      const tries: number[] = [];
      const client = harness.newClient({ key: apiKey, onRequest: ({ attempt }) => void tries.push(attempt) });
      // the first send takes the hour's only slot (and is refused for its domain); the second is over the limit
      await assert.rejects(client.mail.send(testMessage()), isApiError('domain_not_verified', 422));
      let thrown: OutpostApiError | undefined;
      await assert.rejects(client.mail.send(testMessage()), (error: OutpostApiError) => isApiError('rate_limited', 429)((thrown = error)));
      assert.ok(thrown!.retryAfterSeconds! > 30, `Retry-After ${thrown!.retryAfterSeconds} s`);
      assert.deepEqual(tries, [1, 1], 'no retry: the wait asked for is longer than maxDelayMs');
    });

    it('a client-side problem is the same class, with status 0', async () => {
      await assert.rejects(new Outpost({ url: harness.url }).mail.send(testMessage()), isApiError('missing_key', 0));
      assert.throws(() => new Outpost({ url: 'ftp://example.test' }), isApiError('invalid_argument', 0));
    });
  });

  describe('retries', () => {
    let harness: ClientHarness;
    let proxy: DroppingProxy | undefined;

    before(async () => {
      harness = await startClientHarness({ env: { OUTPOST_API_RATE_LIMIT: '1', OUTPOST_API_RATE_WINDOW: '1s' } });
    });
    afterEach(() => proxy?.close());
    after(() => harness?.close());

    it('waits out a short Retry-After of a 429 and sends', async () => {
      const tries: { route: RouteName; attempt: number }[] = [];
      const client = harness.newClient({ onRequest: (event) => void tries.push(event) });
      await client.mail.send(testMessage({ subject: 'first' }));
      const started = Date.now();
      const receipt = await client.mail.send(testMessage({ subject: 'second' }));
      assert.equal(receipt.accepted_recipients, 1);
      assert.deepEqual(tries.map((event) => event.attempt), [1, 1, 2], 'the second send took two tries');
      assert.ok(Date.now() - started >= 100, 'it waited for the next window');
    });

    it('a send whose answer was lost is retried with the same Idempotency-Key and delivered once', async () => {
      proxy = await startDroppingProxy(harness.server.outpost.httpAddress!, (connection) => connection === 1);
      const tries: number[] = [];
      const client = harness.newClient({ url: `http://${proxy.address}`, onRequest: ({ attempt }) => void tries.push(attempt) });
      const before = harness.mx.messages.length;
      const receipt = await client.mail.send(testMessage({ subject: 'answer lost once' }));
      assert.equal(proxy.dropped, 1, 'the first answer was cut');
      assert.ok(tries.length >= 2, `retried (${tries.length} tries)`);
      let final;
      for await (const seen of harness.client.mail.messages.watch(receipt.id, { intervalMs: 20, timeoutMs: 10_000 })) final = seen;
      assert.equal(final!.recipients[0]!.status, 'delivered');
      const sent = [];
      for await (const message of harness.client.mail.messages.all({ since: Date.now() - 60_000 })) if (message.subject === 'answer lost once') sent.push(message.id);
      assert.deepEqual(sent, [receipt.id], 'one message queued for the one send');
      assert.equal(harness.mx.messages.slice(before).filter((copy) => copy.raw.includes('answer lost once')).length, 1, 'delivered once');
    });

    it('does not retry a lost answer of a request that is not idempotent', async () => {
      proxy = await startDroppingProxy(harness.server.outpost.httpAddress!, (connection) => connection === 1);
      const client = harness.newClient({ url: `http://${proxy.address}` });
      await assert.rejects(client.domains.add('lost.test'), isApiError('network_error', 0));
      assert.equal((await harness.client.domains.get('lost.test')).domain, 'lost.test', 'the server did add it: a retry would have answered 409');
    });
  });
});
