/**
 * The pieces the destination's EHLO decides with: the 7-bit re-encoding of
 * 8-bit parts (read back with mailparser, the content must be the same), the
 * ASCII form of an address, and the keywords of an EHLO reply.
 */
import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import { simpleParser } from 'mailparser';
import { ehloKeywords } from '../../../core/send/connect.js';
import { asciiAddress } from '../../../core/send/destination-form.js';
import { sevenBitForm } from '../../../core/send/seven-bit.js';

const BINARY = Buffer.from(Array.from({ length: 300 }, (_, index) => (index * 37) % 256));

function message(parts: (string | Buffer)[]): Buffer {
  return Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part) : part)));
}

describe('7-bit form of a message (RFC 6152, for a destination without 8BITMIME)', () => {
  it('re-encodes 8-bit text as quoted-printable and binary as base64, with the same content read back', async () => {
    const raw = message([
      'From: a@acme.test\r\nSubject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n',
      '--b1\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n',
      `Schöne Grüße aus Köln, ½ Preis.\r\ntrailing space \r\n${'ü'.repeat(100)}\r\n`,
      '--b1\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename="blob.bin"\r\n\r\n',
      BINARY,
      '\r\n--b1\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nASCII part, as written\r\n--b1--\r\n',
    ]);
    const seven = await sevenBitForm(raw);
    assert.ok(isAscii(seven), seven.toString('latin1'));
    assert.ok(seven.toString().split('\r\n').every((line) => line.length <= 78), 'lines stay short');
    const [before, after] = [await simpleParser(raw), await simpleParser(seven)];
    assert.equal(after.text, before.text);
    assert.ok(after.attachments[0]!.content.equals(BINARY));
    const text = seven.toString();
    assert.match(text, /Content-Type: text\/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nSch=C3=B6ne/);
    assert.match(text, /filename="blob.bin"\r\nContent-Transfer-Encoding: base64\r\n\r\n/, 'a new Content-Transfer-Encoding goes below the other fields');
    assert.match(text, /charset=us-ascii\r\n\r\nASCII part, as written\r\n--b1--\r\n$/);
  });

  it('re-encodes the parts of an attached message, never the message/rfc822 part itself (RFC 2046 5.2.1)', async () => {
    const raw = message([
      'From: a@acme.test\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n',
      '--b1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment\r\n\r\n',
      'Subject: inner\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nInner Grüße\r\n',
      '--b1--\r\n',
    ]);
    const text = (await sevenBitForm(raw)).toString();
    assert.match(text, /Content-Type: message\/rfc822\r\nContent-Disposition: attachment\r\n\r\nSubject: inner\r\n/);
    assert.match(text, /Content-Transfer-Encoding: quoted-printable\r\n\r\nInner Gr=C3=BC=C3=9Fe\r\n/);
  });

  it('re-encodes a single-part message and leaves a 7-bit one byte for byte', async () => {
    const eightBit = Buffer.from('From: a@acme.test\r\nSubject: x\r\n\r\nGrüße\r\n');
    assert.equal((await sevenBitForm(eightBit)).toString(), 'From: a@acme.test\r\nSubject: x\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=C3=BC=C3=9Fe\r\n');
    const sevenBit = Buffer.from('From: a@acme.test\r\nContent-Type: text/plain\r\n\r\nplain\r\n');
    assert.ok((await sevenBitForm(sevenBit)).equals(sevenBit));
  });
});

describe('addresses without SMTPUTF8', () => {
  it('keeps ASCII, turns an IDN domain into its A-label, and has no form for a UTF-8 local part', () => {
    assert.equal(asciiAddress('user@dest.test'), 'user@dest.test');
    assert.equal(asciiAddress(''), '', 'the null sender');
    assert.equal(asciiAddress('user@bücher.test'), 'user@xn--bcher-kva.test');
    assert.equal(asciiAddress('jürgen@dest.test'), undefined);
  });
});

describe('EHLO keywords', () => {
  it('reads the keywords of an EHLO reply, none of a HELO reply or a refusal', () => {
    assert.deepEqual([...ehloKeywords('250-mx.test Nice to meet you\r\n250-PIPELINING\r\n250-8BITMIME\r\n250-SIZE 10485760\r\n250 SMTPUTF8')], ['PIPELINING', '8BITMIME', 'SIZE', 'SMTPUTF8']);
    assert.deepEqual([...ehloKeywords('250 mx.test')], []);
    assert.deepEqual([...ehloKeywords('454 4.7.0 TLS not available')], []);
    assert.deepEqual([...ehloKeywords(false)], []);
  });
});
