/**
 * What a destination's EHLO allows: UTF-8 in the envelope or the header needs
 * SMTPUTF8 (RFC 6531), 8-bit body bytes need 8BITMIME (RFC 6152). Outpost in
 * process, a real DNS server, and smtp-server as the destination with either
 * extension hidden; DKIM checked with mailauth on what the destination got.
 */
import assert from 'node:assert/strict';
import { dkimVerify } from 'mailauth';
import { simpleParser } from 'mailparser';
import { createDnsResolver } from '../../../core/dns-resolver.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount } from '../../support/http.js';
import { startMxServer, type MxServerOptions, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

const SENDER = 'news@acme.test';

/** A message with a multipart body: an 8-bit UTF-8 text part, a binary attachment, and an ASCII part left as it is. */
function eightBitMessage(to: string): Buffer {
  return Buffer.concat([
    Buffer.from([
      `From: News <${SENDER}>`,
      `To: ${to}`,
      'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
      'Date: Thu, 26 Nov 2026 10:00:00 +0000',
      'Message-ID: <eight-bit@acme.test>',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Schöne Grüße aus Köln, ½ Preis.',
      '--b1',
      'Content-Type: application/octet-stream; name="blob.bin"',
      'Content-Disposition: attachment; filename="blob.bin"',
      'Content-Transfer-Encoding: binary',
      '',
      '',
    ].join('\r\n')),
    Buffer.from([0xde, 0xad, 0xbe, 0xef, 0x41, 0xff]),
    Buffer.from(['', '--b1', 'Content-Type: text/plain; charset=us-ascii', '', 'plain ASCII stays as written', '--b1--', ''].join('\r\n')),
  ]);
}

/** An ASCII body under a header that carries raw UTF-8 (RFC 6532). */
function utf8HeaderMessage(to: string): Buffer {
  return Buffer.from(`From: ${SENDER}\r\nTo: ${to}\r\nSubject: Grüße aus Köln\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello.\r\n`);
}

describe('delivery: SMTPUTF8 and 8BITMIME as the destination offers them', function () {
  this.timeout(30_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let accountId: string;

  async function setUp(mxOptions: MxServerOptions = {}): Promise<void> {
    mx = await startMxServer(mxOptions);
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
    const account = await createAccount(server.outpost);
    accountId = account.id;
    await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
  }

  afterEach(async () => {
    await server?.close();
    await mx?.close();
    await dns?.close();
  });

  async function send(to: string[], raw: Buffer) {
    const receipt = await server.outpost.submit({ from: SENDER, to, raw, accountId, source: 'smtp' });
    return waitForStatus(server.outpost, receipt.id, allFinal);
  }

  async function dkimResult(raw: Buffer): Promise<string | undefined> {
    const resolver = createDnsResolver([dns.address]);
    const verified = await dkimVerify(raw, { resolver: (name: string, type: string) => resolver.resolve(name, type) } as Parameters<typeof dkimVerify>[1]);
    return verified.results[0]?.status.result;
  }

  it('says SMTPUTF8 on MAIL FROM for a UTF-8 header when the destination offers it', async () => {
    await setUp();
    const view = await send(['user@dest.test'], utf8HeaderMessage('user@dest.test'));
    assert.equal(view.recipients[0]!.status, 'delivered');
    const [received] = mx.messages;
    assert.equal(received!.smtpUtf8, true, 'RFC 6531 3.4: a message with UTF-8 header fields goes with SMTPUTF8');
    assert.match(received!.raw.toString('utf8'), /Subject: Grüße aus Köln/);
  });

  it('bounces a UTF-8 header message with 5.6.7 when the destination does not offer SMTPUTF8, sending nothing', async () => {
    await setUp({ hideSmtpUtf8: true });
    const view = await send(['user@dest.test'], utf8HeaderMessage('user@dest.test'));
    assert.equal(view.recipients[0]!.status, 'bounced');
    assert.match(view.recipients[0]!.lastResponse!, /^5\.6\.7 .*SMTPUTF8/);
    assert.equal(mx.transactions, 0);
  });

  it('bounces only the recipient with a UTF-8 address (5.6.7) when the destination does not offer SMTPUTF8', async () => {
    await setUp({ hideSmtpUtf8: true });
    // ASCII headers (the UTF-8 recipient is a Bcc): the other recipient can still be sent the message
    const raw = Buffer.from(`From: ${SENDER}\r\nTo: user@dest.test\r\nSubject: hello\r\n\r\nHello.\r\n`);
    const view = await send(['jürgen@dest.test', 'user@dest.test'], raw);
    const byAddress = new Map(view.recipients.map((recipient) => [recipient.address, recipient]));
    assert.equal(byAddress.get('jürgen@dest.test')!.status, 'bounced');
    assert.match(byAddress.get('jürgen@dest.test')!.lastResponse!, /^5\.6\.7 .*SMTPUTF8/);
    assert.equal(byAddress.get('user@dest.test')!.status, 'delivered');
    assert.deepEqual(mx.messages.map((message) => message.rcptTo), [['user@dest.test']]);
    assert.equal(mx.messages[0]!.smtpUtf8, false, 'no SMTPUTF8 for an all-ASCII transaction');
  });

  it('sends an 8-bit body as it is with BODY=8BITMIME where offered, DKIM passing', async () => {
    await setUp();
    const view = await send(['user@dest.test'], eightBitMessage('user@dest.test'));
    assert.equal(view.recipients[0]!.status, 'delivered');
    const [received] = mx.messages;
    assert.equal(received!.bodyType, '8BITMIME');
    assert.equal(received!.smtpUtf8, false, 'an 8-bit body under ASCII headers needs no SMTPUTF8');
    assert.ok(received!.raw.includes(Buffer.from('Schöne Grüße')));
    assert.equal(await dkimResult(received!.raw), 'pass');
  });

  it('re-encodes 8-bit parts to 7 bits for a destination without 8BITMIME and re-signs, so DKIM passes there', async () => {
    await setUp({ hide8BitMime: true });
    const view = await send(['user@dest.test'], eightBitMessage('user@dest.test'));
    assert.equal(view.recipients[0]!.status, 'delivered');
    const [received] = mx.messages;
    assert.equal(received!.bodyType, undefined, 'no BODY=8BITMIME to a server that did not offer it');
    assert.ok(received!.raw.every((byte) => byte < 0x80), 'RFC 6152: only 7-bit bytes go to a server without 8BITMIME');
    assert.equal((received!.raw.toString().match(/^DKIM-Signature:/gim) ?? []).length, 1, 'the broken signature is replaced, not kept beside the new one');
    assert.equal(await dkimResult(received!.raw), 'pass');
    const parsed = await simpleParser(received!.raw);
    assert.equal(parsed.text?.trim().split('\n')[0], 'Schöne Grüße aus Köln, ½ Preis.');
    assert.deepEqual([...parsed.attachments[0]!.content], [0xde, 0xad, 0xbe, 0xef, 0x41, 0xff]);
    assert.match(received!.raw.toString(), /Content-Type: text\/plain; charset=us-ascii\r\n\r\nplain ASCII stays as written\r\n/);
  });
});
