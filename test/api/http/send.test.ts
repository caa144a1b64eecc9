/**
 * POST /v1/mail/send with a JSON body, end to end: each field of the seed's
 * message object is checked where it matters, in what arrives at the
 * destination MX (parsed with mailparser) or in the message's status.
 */
import assert from 'node:assert/strict';
import type { AddressObject } from 'mailparser';
import type { MessageStatusView } from '../../../core/status/status-store.js';
import { waitForStatus } from '../../support/outpost.js';
import { headerBlock, message, SENDER, sendAndReceive, sentAndFinal, type SendHarness, useSendHarness } from './send-harness.js';

function addressesOf(field: AddressObject | AddressObject[] | undefined): string[] {
  return [field ?? []].flat().flatMap((object) => object.value.map((entry) => entry.address ?? ''));
}

/** The Content-Transfer-Encoding of the first text/plain part of a raw message. */
function textPartEncoding(raw: Buffer): string | undefined {
  return /Content-Type: text\/plain[^\r]*\r\nContent-Transfer-Encoding: ([\w-]+)/i.exec(raw.toString('latin1'))?.[1]
    ?? /Content-Transfer-Encoding: ([\w-]+)\r\n(?:[^\r]+\r\n)*Content-Type: text\/plain/i.exec(raw.toString('latin1'))?.[1];
}

describe('POST /v1/mail/send (JSON)', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  it('answers 200 with exactly the receipt fields, once the message is queued', async () => {
    await setUp();
    const response = await harness.send(message());
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).sort(), ['accepted_recipients', 'id', 'rejected_recipients']);
    assert.equal(response.body.accepted_recipients, 1);
    assert.equal(response.body.rejected_recipients, 0);
    // The status exists the moment the receipt is out: it was written in the same synced batch.
    const view = await harness.server.outpost.getMessage(response.body.id);
    assert.equal(view?.accountId, harness.accountId);
    assert.deepEqual(harness.accepted, [response.body.id]);
  });

  it('puts from and a non-ASCII from_name in the From header', async () => {
    await setUp();
    const { parsed, received } = await sendAndReceive(harness, message({ from_name: 'Jörg Müller, Sales' }));
    assert.deepEqual(parsed.from?.value, [{ address: SENDER, name: 'Jörg Müller, Sales' }]);
    assert.match(headerBlock(received.raw), /^From: =\?UTF-8\?[QB]\?.+\?= <sender@acme\.test>$/m);
  });

  it('shows to and cc in the headers, delivers bcc without a trace in any header, and collapses duplicates', async () => {
    await setUp();
    const { parsed, received, view } = await sendAndReceive(harness, message({
      to: ['one@dest.test', 'two@other.test', 'ONE@dest.test'],
      cc: ['three@dest.test', 'two@other.test'],
      bcc: ['hidden@dest.test', 'Three@dest.test'],
    }));
    assert.deepEqual(addressesOf(parsed.to), ['one@dest.test', 'two@other.test']);
    assert.deepEqual(addressesOf(parsed.cc), ['three@dest.test']);
    assert.equal(parsed.bcc, undefined);
    assert.doesNotMatch(received.raw.toString('latin1'), /hidden|^bcc:/im);
    assert.deepEqual(view.recipients.map((recipient) => recipient.address).sort(), ['hidden@dest.test', 'one@dest.test', 'three@dest.test', 'two@other.test']);
    const delivered = (await harness.mx.waitForMessages(2)).flatMap((each) => each.rcptTo).sort();
    assert.deepEqual(delivered, ['hidden@dest.test', 'one@dest.test', 'three@dest.test', 'two@other.test']);
  });

  it('encodes a non-ASCII subject and carries text and html as alternatives', async () => {
    await setUp();
    const { parsed, received } = await sendAndReceive(harness, message({
      subject: 'Grüße aus Köln ✓ — 東京',
      text: 'Hello,\nthis is the text part.\n',
      html: '<p>Hello, this is the <b>HTML</b> part.</p>',
    }));
    assert.equal(parsed.subject, 'Grüße aus Köln ✓ — 東京');
    assert.match(headerBlock(received.raw), /^Subject: =\?UTF-8\?/m);
    assert.equal(parsed.text, 'Hello,\nthis is the text part.\n');
    assert.equal(parsed.html, '<p>Hello, this is the <b>HTML</b> part.</p>');
    assert.match(received.raw.toString('latin1'), /Content-Type: multipart\/alternative/);
  });

  it('uses the given date as the Date header and a Message-ID on OUTPOST_HOSTNAME', async () => {
    await setUp();
    const { parsed } = await sendAndReceive(harness, message({ date: '2026-03-01T09:30:00+01:00' }));
    assert.equal(parsed.date?.toISOString(), '2026-03-01T08:30:00.000Z');
    assert.match(parsed.messageId ?? '', /^<[0-9a-f-]{36}@outpost\.test>$/);
  });

  it('puts reply_to in Reply-To', async () => {
    await setUp();
    const { parsed } = await sendAndReceive(harness, message({ reply_to: 'support@acme.test' }));
    assert.deepEqual(addressesOf(parsed.replyTo), ['support@acme.test']);
  });

  it('attaches base64 JSON attachments with their file name, content and content type', async () => {
    await setUp();
    const binary = Buffer.from(Array.from({ length: 3000 }, (_, index) => (index * 7) % 256));
    const { parsed } = await sendAndReceive(harness, message({
      attachments: [
        { filename: 'report.pdf', content: binary.toString('base64'), content_type: 'application/pdf' },
        { filename: 'Übersicht März.txt', content: Buffer.from('ünïcödé\n').toString('base64') },
      ],
    }));
    assert.equal(parsed.attachments.length, 2);
    const [pdf, text] = parsed.attachments;
    assert.equal(pdf!.filename, 'report.pdf');
    assert.equal(pdf!.contentType, 'application/pdf');
    assert.ok(pdf!.content.equals(binary));
    assert.equal(text!.filename, 'Übersicht März.txt');
    assert.equal(text!.contentType, 'text/plain', 'guessed from the file name');
    assert.equal(text!.content.toString(), 'ünïcödé\n');
  });

  it('stores tags with the message, each once', async () => {
    await setUp();
    const response = await harness.send(message({ tags: ['welcome', 'onboarding', 'welcome'] }));
    const view = await sentAndFinal(harness, response);
    assert.deepEqual(view.tags, ['welcome', 'onboarding']);
    assert.deepEqual((await harness.server.outpost.getMessage(response.body.id))?.tags, ['welcome', 'onboarding']);
  });

  it('encodes text in the given charset (ISO-8859-1) so that it arrives decoded right', async () => {
    await setUp();
    const { parsed, received } = await sendAndReceive(harness, message({ charset: 'ISO-8859-1', text: 'Grüße aus Köln, ½ Preis\n', html: '<p>Café</p>' }));
    const raw = received.raw.toString('latin1');
    assert.match(raw, /Content-Type: text\/plain; charset=ISO-8859-1/);
    assert.match(raw, /Gr=FC=DFe aus K=F6ln, =BD/, 'Latin-1 bytes, not UTF-8 ones, quoted-printable');
    assert.equal(parsed.text, 'Grüße aus Köln, ½ Preis\n');
    assert.equal(parsed.html, '<p>Café</p>');
  });

  for (const encoding of ['quoted-printable', 'base64', '8bit'] as const) {
    it(`sends the text body with Content-Transfer-Encoding ${encoding} when asked`, async () => {
      await setUp();
      const text = 'Ünïcödé text, a line of some length to see that nothing folds it away.\n';
      const { parsed, received } = await sendAndReceive(harness, message({ encoding, text }));
      assert.equal(textPartEncoding(received.raw), encoding);
      assert.equal(parsed.text, text);
      if (encoding === '8bit') assert.ok(received.raw.includes(Buffer.from('Ünïcödé text')), 'the UTF-8 bytes go out as they are');
    });
  }

  it('defers rather than delivers with require_tls when the destination offers no STARTTLS', async () => {
    await setUp();
    const response = await harness.send(message({ require_tls: true }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const view = await waitForStatus(harness.server.outpost, response.body.id, (each) => each.recipients[0]!.status === 'deferred');
    assert.match(view.recipients[0]!.lastResponse ?? '', /TLS/i);
    assert.equal(harness.mx.messages.length, 0);
  });

  it('delivers over STARTTLS with require_tls when it is offered', async () => {
    await setUp({ mx: { tls: true } });
    const { received, view } = await sendAndReceive(harness, message({ require_tls: true }));
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.equal(received.tls, true);
  });

  it('refuses the self-signed certificate of the destination with verify_cert, and accepts it without', async () => {
    await setUp({ mx: { tls: true } });
    const strict = await harness.send(message({ verify_cert: true, require_tls: true }));
    assert.equal(strict.status, 200, JSON.stringify(strict.body));
    await waitForStatus(harness.server.outpost, strict.body.id, (each: MessageStatusView) => each.recipients[0]!.status === 'deferred');
    assert.equal(harness.mx.messages.length, 0);
    const lenient = await harness.send(message({ verify_cert: false, require_tls: true }));
    assert.equal((await sentAndFinal(harness, lenient)).recipients[0]!.status, 'delivered');
  });

  it('goes through everything but delivery in test_mode: recipients end as test, nothing arrives', async () => {
    await setUp();
    const response = await harness.send(message({ test_mode: true, to: ['a@dest.test', 'b@dest.test'] }));
    assert.equal(response.body.accepted_recipients, 2);
    const view = await sentAndFinal(harness, response);
    assert.deepEqual(view.recipients.map((recipient) => recipient.status), ['test', 'test']);
    assert.deepEqual(harness.accepted, [response.body.id]);
    assert.equal(harness.server.outpost.queuedRecipients, 0);
    assert.equal(harness.mx.connections, 0);
  });

  it('accepts the tracking flags (tracking itself comes later)', async () => {
    await setUp();
    const response = await harness.send(message({ open_tracking: true, click_tracking: false, text_click_tracking: true, unsubscribe_tracking: false }));
    assert.equal((await sentAndFinal(harness, response)).recipients[0]!.status, 'delivered');
  });

  it('counts unusable recipients as rejected, keeps them out of every header, and sends to the rest', async () => {
    await setUp();
    const response = await harness.send(message({
      to: ['good@dest.test', '"x@a.test y"@dest.test', 'not-an-address'],
      cc: ['Name <named@dest.test>', 'a@dest.test (comment)', '@route:c@dest.test', 'l@dest.test, m@dest.test'],
    }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.equal(response.body.accepted_recipients, 1);
    assert.equal(response.body.rejected_recipients, 6);
    const view = await sentAndFinal(harness, response);
    assert.equal(view.recipients.find((recipient) => recipient.address === 'good@dest.test')?.status, 'delivered');
    assert.equal(view.recipients.find((recipient) => recipient.address === '"x@a.test y"@dest.test')?.status, 'rejected');
    const [received] = await harness.mx.waitForMessages(1);
    assert.deepEqual(received!.rcptTo, ['good@dest.test']);
    const headers = headerBlock(received!.raw);
    assert.match(headers, /^To: good@dest\.test$/m);
    assert.doesNotMatch(headers, /^Cc:/m);
    assert.doesNotMatch(headers, /named|comment|route|x@a\.test/);
  });
});
