/**
 * Admission of POST /v1/mail/send: the per-account rate limit (429 rate_limited
 * with Retry-After) and the queue-size guard (503 queue_full), each refusing
 * before anything is read or queued.
 */
import assert from 'node:assert/strict';
import { createAccount, request } from '../../support/http.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { waitForStatus } from '../../support/outpost.js';
import { message, type SendHarness, type SendResponse, useSendHarness } from './send-harness.js';

describe('POST /v1/mail/send admission', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  it('answers 429 rate_limited with Retry-After past OUTPOST_API_RATE_LIMIT per window, for that account only', async () => {
    await setUp({ env: { OUTPOST_API_RATE_LIMIT: '2', OUTPOST_API_RATE_WINDOW: '1h' } });
    const allowed: string[] = [];
    for (let index = 0; index < 2; index++) {
      const response = await harness.send(message({ test_mode: true }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      allowed.push(response.body.id);
    }
    const limited = await harness.send(message({ test_mode: true }));
    assert.equal(limited.status, 429, JSON.stringify(limited.body));
    assert.equal(limited.body.code, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 3600, `Retry-After: ${limited.headers.get('retry-after')}`);
    assert.deepEqual(harness.accepted, allowed, 'the limited request queued nothing');

    const other = await createAccount(harness.server.outpost, 'other');
    await addVerifiedDomain(harness.server.outpost, harness.dns, other.apiKey, 'other-sender.test');
    const theirs = await request<SendResponse['body']>(harness.server.outpost, 'POST', '/v1/mail/send', {
      key: other.apiKey,
      json: message({ from: 'news@other-sender.test', test_mode: true }),
    });
    assert.equal(theirs.status, 200, JSON.stringify(theirs.body));
    assert.equal(harness.mx.connections, 0);
  });

  it('answers 503 queue_full while the queue holds OUTPOST_MAX_QUEUED_RECIPIENTS recipients', async () => {
    await setUp({ env: { OUTPOST_MAX_QUEUED_RECIPIENTS: '1', OUTPOST_RETRY_SCHEDULE: '1h' }, mx: { rcptReply: () => '451 4.3.0 try later' } });
    const waiting = await harness.send(message({ to: ['slow@dest.test'] }));
    assert.equal(waiting.status, 200, JSON.stringify(waiting.body));
    await waitForStatus(harness.server.outpost, waiting.body.id, (view) => view.recipients[0]!.status === 'deferred');
    assert.equal(harness.server.outpost.queuedRecipients, 1);

    const refused = await harness.send(message({ to: ['user@dest.test'] }));
    assert.equal(refused.status, 503, JSON.stringify(refused.body));
    assert.equal(refused.body.code, 'queue_full');
    assert.match(refused.body.message, /OUTPOST_MAX_QUEUED_RECIPIENTS.*retry/);
    assert.deepEqual(harness.accepted, [waiting.body.id], 'the refused send queued nothing');
    assert.equal(harness.server.outpost.queuedRecipients, 1);
    assert.equal(harness.mx.messages.length, 0);
    assert.deepEqual([...harness.mx.rcptAttempts.keys()], ['slow@dest.test']);
  });
});
