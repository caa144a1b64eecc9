/**
 * The nodemailer transport (outpostTransport) against a real Outpost: an app's
 * existing sendMail call, with an attachment, goes through the REST API and
 * resolves with the receipt; verify() checks the key; what the API cannot
 * carry is refused with a message saying so, and nothing is sent.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import { createTransport } from 'nodemailer';
import type { SendMailOptions } from 'nodemailer/lib/mailer';
import { OutpostApiError, outpostTransport, type OutpostSentMessageInfo } from '../../../api/client/index.js';
import { SENDER, startClientHarness, type ClientHarness } from '../../support/client-harness.js';

describe('nodemailer transport (outpostTransport)', () => {
  let harness: ClientHarness;
  let files: string;

  before(async () => {
    harness = await startClientHarness();
    files = await mkdtemp(path.join(os.tmpdir(), 'outpost-transport-test-'));
  });
  after(async () => {
    await harness?.close();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('sends a message with attachments through the REST API and resolves with the receipt', async () => {
    const transporter = createTransport(outpostTransport({ url: harness.url, key: harness.apiKey }));
    const invoice = path.join(files, 'invoice.pdf');
    await writeFile(invoice, Buffer.from('%PDF-1.4 invoice'));
    const info: OutpostSentMessageInfo = await transporter.sendMail({
      from: `"Acme Billing" <${SENDER}>`,
      to: 'Customer <customer@dest.test>, second@dest.test',
      cc: ['copy@dest.test'],
      replyTo: 'billing@acme.test',
      subject: 'Your invoice',
      text: 'Attached.',
      html: '<p>Attached.</p>',
      headers: { 'X-Outpost-Tags': 'invoice, nodemailer' },
      attachments: [{ path: invoice }, { filename: 'note.txt', content: 'a note' }],
    });
    assert.match(info.id, /^[0-9a-z]+$/);
    assert.equal(info.messageId, info.id);
    assert.equal(info.accepted_recipients, 3);
    assert.equal(info.rejected_recipients, 0);
    assert.deepEqual([...info.envelope.to].sort(), ['copy@dest.test', 'customer@dest.test', 'second@dest.test']);

    const message = await harness.client.mail.messages.get(info.id);
    assert.deepEqual(message.tags, ['invoice', 'nodemailer']);
    const [copy] = await harness.mx.waitForMessages(1);
    const parsed = await simpleParser(copy!.raw);
    assert.equal(parsed.subject, 'Your invoice');
    assert.equal(parsed.from?.value[0]?.name, 'Acme Billing');
    assert.equal(parsed.replyTo?.value[0]?.address, 'billing@acme.test');
    assert.deepEqual(parsed.attachments.map((attachment) => [attachment.filename, attachment.content.toString()]), [['invoice.pdf', '%PDF-1.4 invoice'], ['note.txt', 'a note']]);
  });

  it('verify() checks the URL and the key', async () => {
    assert.equal(await createTransport(outpostTransport({ url: harness.url, key: harness.apiKey })).verify(), true);
    await assert.rejects(
      createTransport(outpostTransport({ url: harness.url, key: 'op_a00000000000000000000_wrongwrongwrongwrongwrongwrongwrongwrong0' })).verify(),
      (error: OutpostApiError) => error.status === 401,
    );
  });

  it('fails with the API\'s error, and refuses what the API cannot carry without sending', async () => {
    const transporter = createTransport(outpostTransport({ url: harness.url, key: harness.apiKey }));
    await assert.rejects(
      transporter.sendMail({ from: 'someone@unverified.test', to: 'a@dest.test', subject: 's', text: 't' }),
      (error: OutpostApiError) => error instanceof OutpostApiError && error.code === 'domain_not_verified' && error.status === 422,
    );
    const before = (await harness.client.mail.messages.list()).items.length;
    const refused: [SendMailOptions, RegExp][] = [
      [{ headers: { 'X-Custom': '1' } }, /custom header X-Custom/],
      [{ attachments: [{ filename: 'logo.png', content: Buffer.from('x'), cid: 'logo' }] }, /inline images/],
      [{ html: '<p>only html</p>', text: undefined }, /plain-text body/],
      [{ inReplyTo: '<a@b>' }, /In-Reply-To/],
    ];
    for (const [extra, pattern] of refused) {
      await assert.rejects(
        transporter.sendMail({ from: SENDER, to: 'a@dest.test', subject: 's', text: 't', ...extra }),
        (error: OutpostApiError) => error.code === 'invalid_argument' && pattern.test(error.message),
      );
    }
    assert.equal((await harness.client.mail.messages.list()).items.length, before);
  });
});
