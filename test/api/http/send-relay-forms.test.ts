/**
 * Relay-form addresses over POST /v1/mail/send: the percent hack (x%y@z) and
 * bang paths (y!x@z) are refused as SMTP submission refuses them at RCPT
 * (553), by the same rule (core/address.ts). A recipient in a relay form is
 * rejected on its own and never reaches a destination, as any unusable
 * recipient is (SPEC: rejected and counted, not sent); a sender in one is a
 * 400 naming the field.
 */
import assert from 'node:assert/strict';
import { assertRefused, message, sentAndFinal, type SendHarness, useSendHarness } from './send-harness.js';

describe('POST /v1/mail/send: relay-form addresses', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  it('rejects to/cc/bcc recipients in the percent hack or a bang path, says why, and delivers to the rest', async () => {
    await setUp();
    const response = await harness.send(message({
      to: ['user@dest.test', 'victim%other.test@dest.test'],
      cc: ['other.test!victim@dest.test'],
      bcc: ['hidden%other.test@dest.test'],
    }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.accepted_recipients, 1);
    assert.equal(response.body.rejected_recipients, 3);
    const view = await sentAndFinal(harness, response);
    const statusOf = (address: string) => view.recipients.find((recipient) => recipient.address === address);
    assert.equal(statusOf('user@dest.test')?.status, 'delivered');
    for (const [address, form] of [['victim%other.test@dest.test', /percent hack/], ['other.test!victim@dest.test', /bang path/], ['hidden%other.test@dest.test', /percent hack/]] as const) {
      assert.equal(statusOf(address)?.status, 'rejected', address);
      assert.match(statusOf(address)?.lastResponse ?? '', form, address);
    }
    const [received] = await harness.mx.waitForMessages(1);
    assert.deepEqual(received!.rcptTo, ['user@dest.test']);
    assert.doesNotMatch(received!.raw.toString('latin1'), /victim|hidden/);
  });

  it('answers 400 no_valid_recipients when every recipient is in a relay form', async () => {
    await setUp();
    const response = await harness.send(message({ to: ['victim%other.test@dest.test', 'other.test!victim@dest.test'] }));
    assertRefused(harness, response, 400, 'no_valid_recipients');
    assert.match(response.body.message, /percent hack/);
    assert.match(response.body.message, /bang path/);
  });

  it('refuses a from or reply_to in a relay form with a 400 naming the field', async () => {
    await setUp();
    for (const field of ['from', 'reply_to']) {
      const response = await harness.send(message({ [field]: 'other.test!sender@acme.test' }));
      assertRefused(harness, response, 400, 'invalid_request');
      assert.ok(response.body.details?.some((detail) => detail.field === field && /bang path/.test(detail.problem)), JSON.stringify(response.body));
    }
  });
});
