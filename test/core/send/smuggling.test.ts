/**
 * Outbound SMTP smuggling: a body carrying "\n.\r\n" and SMTP commands,
 * delivered to a destination that takes bare LF as a line end, must arrive as
 * exactly one message. Two layers hold this: the sign stage replaces stray
 * CR/LF (so signers hash the bytes that are sent), and nodemailer's DataStream
 * turns any bare CR or LF into CRLF while dot-stuffing. The end-to-end cases
 * prove the result; the sign-stage case proves our own layer.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startLenientMx, type LenientMx } from '../../support/lenient-mx.js';
import { definePlugin } from '../../../core/plugins/plugin-api.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

describe('outbound SMTP smuggling', () => {
  let dns: TestDnsServer;
  let mx: LenientMx;
  let server: TestOutpost;
  /** What each message:sign hook saw: the bytes a DKIM signer would hash. */
  let bytesSeenBySigner: Buffer[];

  beforeEach(async () => {
    bytesSeenBySigner = [];
    const signerProbe = definePlugin({
      name: 'signer-probe',
      register(api) {
        api.addHook('message:sign', (message) => {
          bytesSeenBySigner.push(message.toBuffer());
        });
      },
    });
    mx = await startLenientMx();
    dns = await startDnsServer({ 'lenient.test': { MX: [{ exchange: 'mx.lenient.test', priority: 10 }] }, 'mx.lenient.test': { A: ['127.0.0.1'] } });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, plugins: [signerProbe] });
  });

  afterEach(async () => {
    await server.close();
    await mx.close();
    await dns.close();
  });

  const smuggled = 'MAIL FROM:<ceo@victim.test>\r\nRCPT TO:<user@lenient.test>\r\nDATA\r\nFrom: ceo@victim.test\r\n\r\nwire the money\r\n';
  for (const [name, terminator] of [
    ['\\n.\\r\\n', '\n.\r\n'],
    ['\\n.\\n', '\n.\n'],
    ['\\r.\\r\\n', '\r.\r\n'],
    ['\\r\\n.\\r', '\r\n.\r'],
  ] as const) {
    it(`delivers a body containing "${name}" followed by SMTP commands as exactly one message`, async () => {
      const raw = Buffer.from(`From: a@outpost.test\r\nTo: user@lenient.test\r\nSubject: hi\r\n\r\nfirst line${terminator}${smuggled}.\r\nlast line\r\n`);
      const receipt = await server.outpost.submit({ from: 'a@outpost.test', to: ['user@lenient.test'], raw, source: 'internal' });
      const view = await waitForStatus(server.outpost, receipt.id, allFinal);
      assert.equal(view.recipients[0]!.status, 'delivered');
      assert.equal(mx.messages.length, 1, `the destination saw ${mx.messages.length} messages`);
      assert.equal(mx.messages[0]!.mailFrom, 'a@outpost.test');
      assert.match(mx.messages[0]!.raw, /wire the money/);
      assert.match(mx.messages[0]!.raw, /last line/);
      assert.doesNotMatch(mx.messages[0]!.raw, /[^\r]\n|\r[^\n]/, 'no bare CR or LF reached the destination');
    });
  }

  it('hands signers a message whose every CR and LF is part of a CRLF pair', async () => {
    const raw = Buffer.from('From: a@outpost.test\nTo: user@lenient.test\nSubject: unix\n\nline one\nbare\rcr\n.\r\nMAIL FROM:<x@y.test>\r\n');
    await server.outpost.submit({ from: 'a@outpost.test', to: ['user@lenient.test'], raw, source: 'internal' });
    assert.equal(bytesSeenBySigner.length, 1);
    const signed = bytesSeenBySigner[0]!.toString('latin1');
    assert.doesNotMatch(signed, /[^\r]\n|\r[^\n]/);
    assert.match(signed, /\r\nline one\r\nbare cr\r\n\.\r\nMAIL FROM/);
  });
});
