/**
 * POST /v1/mail/send refusing bad input: each case checks the HTTP status, the
 * stable error code, that the field is named, and that nothing was queued or
 * reached the destination MX.
 */
import assert from 'node:assert/strict';
import { request } from '../../support/http.js';
import { assertRefused, message, type SendHarness, type SendResponse, useSendHarness } from './send-harness.js';

describe('POST /v1/mail/send refusing bad input', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  function assertNamesField(response: SendResponse, field: string): void {
    assert.ok(response.body.details?.some((detail) => detail.field === field), `details should name ${field}: ${JSON.stringify(response.body)}`);
    assert.ok(response.body.message.includes(field), `message should name ${field}: ${response.body.message}`);
  }

  it('names each missing required field', async () => {
    await setUp();
    for (const field of ['from', 'to', 'subject', 'text']) {
      const incomplete = message();
      delete incomplete[field];
      const response = await harness.send(incomplete);
      assertRefused(harness, response, 400, 'invalid_request');
      assertNamesField(response, field);
      assert.match(response.body.message, new RegExp(`${field}: required`));
    }
  });

  it('names fields of the wrong type or format', async () => {
    await setUp();
    const cases: [field: string, value: unknown, named?: string][] = [
      ['to', 'user@dest.test'],
      ['to', []],
      ['cc', 'cc@dest.test'],
      ['require_tls', 'yes'],
      ['test_mode', 1],
      ['date', '1 March 2026'],
      ['date', '2026-03-01T09:30:00'],
      ['encoding', 'binary'],
      ['attachments', { filename: 'a.txt' }],
      ['attachments', [{ filename: '', content: 'YQ==' }], 'attachments.0.filename'],
      ['attachments', [{ filename: 'a.eml', content: 'YQ==', content_type: 'message/rfc822' }], 'attachments.0.content_type'],
      ['attachments', [{ filename: 'a.txt', content: 'YQ==', content_type: 'text/plain; charset=utf-8' }], 'attachments.0.content_type'],
      ['tags', [''], 'tags.0'],
      ['tags', Array.from({ length: 21 }, (_, index) => `tag${index}`)],
      ['subject', ''],
      ['text', 42],
    ];
    for (const [field, value, named = field] of cases) {
      const response = await harness.send(message({ [field]: value }));
      assertRefused(harness, response, 400, 'invalid_request');
      assertNamesField(response, named);
    }
  });

  it('names an unknown field, top-level or in an attachment', async () => {
    await setUp();
    let response = await harness.send(message({ priority: 'high' }));
    assertRefused(harness, response, 400, 'invalid_request');
    assertNamesField(response, 'priority');
    response = await harness.send(message({ attachments: [{ filename: 'a.txt', content: 'YQ==', cid: 'logo' }] }));
    assertRefused(harness, response, 400, 'invalid_request');
    assertNamesField(response, 'attachments.0.cid');
  });

  it('refuses an unknown charset, and one that cannot label a text part', async () => {
    await setUp();
    for (const charset of ['klingon-8', 'UTF-16', 'UTF-7', 'base64', 'ISO 8859-1']) {
      const response = await harness.send(message({ charset }));
      assertRefused(harness, response, 400, 'invalid_request');
      assertNamesField(response, 'charset');
    }
  });

  it('refuses text the charset cannot represent, naming the field', async () => {
    await setUp();
    const response = await harness.send(message({ charset: 'ISO-8859-1', text: 'ok', html: '<p>✓ done</p>' }));
    assertRefused(harness, response, 400, 'invalid_request');
    assertNamesField(response, 'html');
  });

  it('refuses 8bit for a line longer than 998 bytes', async () => {
    await setUp();
    const response = await harness.send(message({ encoding: '8bit', text: `short\n${'x'.repeat(999)}\n` }));
    assertRefused(harness, response, 400, 'invalid_request');
    assertNamesField(response, 'text');
    assert.match(response.body.message, /998/);
  });

  it('refuses CR or LF in every value bound for a header (header_injection)', async () => {
    await setUp();
    const injected = 'x\r\nBcc: victim@dest.test';
    const cases: [string, Record<string, unknown>][] = [
      ['subject', { subject: `Hello${injected}` }],
      ['from_name', { from_name: `Jo\nBcc: victim@dest.test` }],
      ['from', { from: `sender@acme.test\r\nBcc: victim@dest.test` }],
      ['reply_to', { reply_to: `help@acme.test\nX: y` }],
      ['to.0', { to: [`user@dest.test\r\nBcc: victim@dest.test`] }],
      ['cc.1', { cc: ['ok@dest.test', 'cc@dest.test\rX: y'] }],
      ['tags.0', { tags: [`tag${injected}`] }],
      ['attachments.0.filename', { attachments: [{ filename: `a.txt${injected}`, content: 'YQ==' }] }],
      ['attachments.0.content_type', { attachments: [{ filename: 'a.txt', content: 'YQ==', content_type: 'text/plain\r\nX-Evil: 1' }] }],
    ];
    for (const [field, fields] of cases) {
      const response = await harness.send(message(fields));
      assertRefused(harness, response, 400, 'header_injection');
      assert.ok(response.body.message.startsWith(`${field}: `), `${field}: ${response.body.message}`);
    }
  });

  it('refuses a sender or reply_to address that parsers could read differently', async () => {
    await setUp();
    const ambiguous = ['"x@a.test y"@acme.test', 'sender@acme.test (comment)', '@route.test:sender@acme.test', 'Sender <sender@acme.test>', 'sender@acme.test, other@acme.test', 'sender@acme.test@evil.test', 'sender'];
    for (const field of ['from', 'reply_to']) {
      for (const address of ambiguous) {
        const response = await harness.send(message({ [field]: address }));
        assertRefused(harness, response, 400, 'invalid_request');
        assertNamesField(response, field);
      }
    }
  });

  it('answers 400 no_valid_recipients when no recipient is usable', async () => {
    await setUp();
    const response = await harness.send(message({ to: ['Name <user@dest.test>', 'user@dest.test (x)', 'nobody'], bcc: ['"q r"@dest.test'] }));
    assertRefused(harness, response, 400, 'no_valid_recipients');
  });

  it('refuses attachments given as file paths (attachment_path_refused)', async () => {
    await setUp();
    for (const attachments of [['/etc/passwd'], [{ path: '/etc/passwd' }], [{ filename: 'passwd', path: '/etc/passwd', content: 'YQ==' }]]) {
      const response = await harness.send(message({ attachments }));
      assertRefused(harness, response, 400, 'attachment_path_refused');
      assert.match(response.body.message, /upload/);
    }
  });

  it('refuses attachment content that is not base64', async () => {
    await setUp();
    const response = await harness.send(message({ attachments: [{ filename: 'a.txt', content: 'not base64!' }] }));
    assertRefused(harness, response, 400, 'invalid_request');
    assertNamesField(response, 'attachments.0.content');
  });

  it('answers malformed JSON with 400, another content type with 415, no body with 400', async () => {
    await setUp();
    assertRefused(harness, await harness.sendBody('{"from": "sender@acme.test", ', { 'content-type': 'application/json' }), 400, 'invalid_request');
    assertRefused(harness, await harness.sendBody('from=sender@acme.test', { 'content-type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
    assertRefused(harness, await harness.sendBody('hello', { 'content-type': 'text/plain' }), 415, 'unsupported_media_type');
    const empty = await request(harness.server.outpost, 'POST', '/v1/mail/send', { key: harness.apiKey });
    assertRefused(harness, empty as SendResponse, 400, 'invalid_request');
    assertRefused(harness, await harness.send(['not', 'an', 'object']), 400, 'invalid_request');
  });

  it('answers a JSON body over OUTPOST_API_MAX_JSON_BYTES with 413', async () => {
    await setUp({ env: { OUTPOST_API_MAX_JSON_BYTES: '4096' } });
    const response = await harness.send(message({ text: 'x'.repeat(8192) }));
    assertRefused(harness, response, 413, 'payload_too_large');
  });

  it('answers a message over the size limit with 413 message_too_large', async () => {
    await setUp({ tune: (config) => (config.spool.maxMessageBytes = 16 * 1024) });
    const response = await harness.send(message({ attachments: [{ filename: 'big.bin', content: Buffer.alloc(20 * 1024, 1).toString('base64') }] }));
    assertRefused(harness, response, 413, 'message_too_large');
  });

  it('answers more recipients than OUTPOST_API_MAX_RECIPIENTS with 413, counting duplicates once', async () => {
    await setUp({ env: { OUTPOST_API_MAX_RECIPIENTS: '2' } });
    const response = await harness.send(message({ to: ['a@dest.test', 'A@dest.test'], cc: ['b@dest.test'], bcc: ['c@dest.test'] }));
    assertRefused(harness, response, 413, 'too_many_recipients');
    assert.match(response.body.message, /3 recipients.*at most 2/);
  });

  it('answers more attachments than OUTPOST_API_MAX_ATTACHMENTS with 413', async () => {
    await setUp({ env: { OUTPOST_API_MAX_ATTACHMENTS: '1' } });
    const attachment = { filename: 'a.txt', content: 'YQ==' };
    assertRefused(harness, await harness.send(message({ attachments: [attachment, attachment] })), 413, 'too_many_attachments');
  });

  it('answers attachments over OUTPOST_API_MAX_ATTACHMENT_BYTES together with 413', async () => {
    await setUp({ env: { OUTPOST_API_MAX_ATTACHMENT_BYTES: '1000' } });
    const half = { filename: 'half.bin', content: Buffer.alloc(600).toString('base64') };
    assertRefused(harness, await harness.send(message({ attachments: [half, half] })), 413, 'attachment_too_large');
  });

  it('refuses a malformed Idempotency-Key', async () => {
    await setUp();
    const response = await harness.send(message(), { 'idempotency-key': 'k'.repeat(256) });
    assertRefused(harness, response, 400, 'invalid_request');
    assertNamesField(response, 'Idempotency-Key');
  });

  it('answers 401 without an API key', async () => {
    await setUp();
    const response = await request(harness.server.outpost, 'POST', '/v1/mail/send', { json: message() });
    assertRefused(harness, response as SendResponse, 401, 'unauthorized');
  });
});
