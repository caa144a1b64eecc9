import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { dkimSign, dkimVerify } from 'mailauth';
import { dkimRecordValue, generateDkimKey, type DkimAlgorithm } from '../../../core/domains/dkim-keys.js';
import { dkimSignature } from '../../../core/domains/dkim-signer.js';

const SIGNED = ['From', 'To', 'Subject', 'Date', 'Message-ID', 'MIME-Version', 'Content-Type'];

const HEADER = Buffer.from([
  'From: Sender <sender@example.test>',
  'To: rcpt@dest.test,',
  '  second@dest.test',
  'Subject:   Folded   and  spaced',
  'Date: Thu, 26 Nov 2026 10:00:00 +0000',
  'Message-ID: <1@example.test>',
  'X-Not-Signed: anything',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  '',
].join('\r\n'));
const BODY = Buffer.from('Hello  there \t\r\n\r\nsecond paragraph\r\n\r\n\r\n');

function keyFor(algorithm: DkimAlgorithm) {
  const pair = generateDkimKey(algorithm, Date.parse('2026-11-26T00:00:00Z'));
  return { pair, key: { domain: 'example.test', selector: pair.selector, algorithm, privateKey: createPrivateKey(pair.privateKeyPem) } };
}

for (const algorithm of ['rsa', 'ed25519'] as const) {
  describe(`DKIM signer (${algorithm})`, () => {
    const { pair, key } = keyFor(algorithm);
    const signTime = new Date('2026-11-26T10:00:00Z');

    it('makes the same signature as mailauth dkimSign for the same key, headers and time', async () => {
      const ours = await dkimSignature(HEADER, BODY, key, SIGNED, { signTime });
      const signatureData = { signingDomain: 'example.test', selector: pair.selector, privateKey: pair.privateKeyPem, algorithm: `${algorithm}-sha256`, canonicalization: 'relaxed/relaxed' };
      // mailauth's types say headerList is an array, but at run time it reads only a colon-separated string
      // (an array is silently replaced by its default list), hence the cast
      const options = { ...signatureData, signTime, headerList: SIGNED.join(':'), signatureData: [signatureData] };
      const theirs = await dkimSign(Buffer.concat([HEADER, BODY]), options as unknown as Parameters<typeof dkimSign>[1]);
      assert.equal(ours, theirs.signatures.trim());
    });

    it('passes mailauth dkimVerify against the published record, and fails once the body changes', async () => {
      const signature = await dkimSignature(HEADER, BODY, key, SIGNED);
      assert.match(signature, new RegExp(`^DKIM-Signature: v=1; a=${algorithm}-sha256; c=relaxed/relaxed; d=example.test;`));
      assert.match(signature, new RegExp(` s=${pair.selector};`));
      const resolver = async (name: string, type: string) => {
        if (type === 'TXT' && name === `${pair.selector}._domainkey.example.test`) return [[dkimRecordValue(pair)]];
        throw Object.assign(new Error(`no ${type} for ${name}`), { code: 'ENOTFOUND' });
      };
      const signed = Buffer.concat([Buffer.from(`${signature}\r\n`), HEADER, BODY]);
      const good = await dkimVerify(signed, { resolver } as Parameters<typeof dkimVerify>[1]);
      assert.equal(good.results[0]?.status.result, 'pass', JSON.stringify(good.results[0]?.status));
      const tampered = Buffer.concat([Buffer.from(`${signature}\r\n`), HEADER, Buffer.from('Hello there, changed\r\n')]);
      const bad = await dkimVerify(tampered, { resolver } as Parameters<typeof dkimVerify>[1]);
      // mailauth reports a body hash mismatch as neutral (RFC 6376 6.1.3), anything but pass
      assert.equal(bad.results[0]?.status.result, 'neutral');
    });

    it('signs only the listed headers that are present, bottom-up', async () => {
      const signature = await dkimSignature(HEADER, BODY, key, SIGNED);
      assert.match(signature.replace(/\r\n\s+/g, ' '), /h=Content-Type: MIME-Version: Message-ID: Date: Subject: To: From;/);
    });
  });
}

describe('DKIM signer key handling', () => {
  it('refuses a key of the wrong type for its algorithm with an error, not a bad signature', async () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    await assert.rejects(dkimSignature(HEADER, BODY, { domain: 'example.test', selector: 's', algorithm: 'rsa', privateKey }, SIGNED));
  });
});
