/**
 * X-Outpost-* headers: parsed into send options, removed from the message,
 * and refused with a message naming the header when a value is bad.
 */
import assert from 'node:assert/strict';
import { Headers } from '@zone-eu/mailsplit';
import { isOutpostError } from '../../../core/errors.js';
import { takeOutpostHeaders } from '../../../api/smtp/outpost-headers.js';

function headers(...lines: string[]): Headers {
  return new Headers(Buffer.from(`From: news@acme.test\r\n${lines.map((line) => `${line}\r\n`).join('')}Subject: hi\r\n\r\n`));
}

function refusal(...lines: string[]): string {
  try {
    takeOutpostHeaders(headers(...lines));
  } catch (error) {
    assert.ok(isOutpostError(error, 'message_invalid'), String(error));
    assert.equal(error.smtpReply().code, 550);
    assert.equal(error.smtpReply().status, '5.6.0');
    return error.message;
  }
  assert.fail('expected a refusal');
}

describe('takeOutpostHeaders', () => {
  it('reads every option, in any case, folded or repeated, and removes all X-Outpost-* headers', () => {
    const block = headers(
      'X-Outpost-Tags: welcome, onboarding',
      'x-outpost-tags: =?UTF-8?Q?caf=C3=A9?=,\r\n welcome',
      'X-Outpost-Test-Mode: TRUE',
      'X-Outpost-Require-TLS: yes',
      'X-Outpost-Verify-Cert: 0',
      'X-Outpost-Open-Tracking: off',
      'X-Outpost-Click-Tracking: on',
    );
    const found = takeOutpostHeaders(block);
    assert.deepEqual(found.tags, ['welcome', 'onboarding', 'café']);
    assert.deepEqual(found.options, { testMode: true, requireTls: true, verifyCert: false, openTracking: false, clickTracking: true });
    assert.equal(block.build().toString(), 'From: news@acme.test\r\nSubject: hi\r\n\r\n');
  });

  it('leaves a message without X-Outpost-* headers as it is', () => {
    const block = headers('X-Mailer: legacy');
    assert.deepEqual(takeOutpostHeaders(block), { options: {}, tags: [] });
    assert.match(block.build().toString(), /X-Mailer: legacy/);
  });

  it('refuses bad values naming the header', () => {
    assert.match(refusal('X-Outpost-Test-Mode: perhaps'), /^X-Outpost-Test-Mode: "perhaps" is not a boolean/);
    assert.match(refusal('X-Outpost-Require-TLS: true', 'X-Outpost-Require-TLS: false'), /^X-Outpost-Require-TLS is given more than once, with different values/);
    assert.match(refusal(`X-Outpost-Tags: ${'t'.repeat(129)}`), /^X-Outpost-Tags: .* longer than 128 characters/);
    assert.match(refusal(`X-Outpost-Tags: ${Array.from({ length: 21 }, (_, i) => `t${i}`).join(',')}`), /^X-Outpost-Tags: 21 tags; at most 20/);
    assert.match(refusal('X-Outpost-Trackin: true'), /^X-Outpost-Trackin is not an Outpost option; the X-Outpost-\* headers are X-Outpost-Tags, /);
  });
});
