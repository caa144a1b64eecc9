/**
 * The dkim-sign plugin end to end: Outpost signs, a real destination MX takes
 * the message, mailauth verifies what arrived against the published key. The
 * headers a reader sees (From, Subject, To, ...) are over-signed, so one more
 * of them added on the way breaks the signature. And the mailauth internals
 * the signer builds on (core/domains/dkim-signer.ts) are pinned.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dkimVerify } from 'mailauth';
import { createDnsResolver } from '../../core/dns-resolver.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { addVerifiedDomain } from '../support/domains.js';
import { createAccount } from '../support/http.js';
import { startMxServer, type TestMxServer } from '../support/mx-server.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../support/outpost.js';

const SENDER = 'news@acme.test';

describe('dkim-sign: what arrives verifies, and added headers break it', function () {
  this.timeout(30_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let received: Buffer;

  before(async () => {
    mx = await startMxServer();
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
    const account = await createAccount(server.outpost);
    await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
    const raw = Buffer.from([
      `From: News <${SENDER}>`,
      'To: user@dest.test',
      'Subject: Your receipt',
      'Date: Thu, 26 Nov 2026 10:00:00 +0000',
      'Message-ID: <receipt-1@acme.test>',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=us-ascii',
      '',
      'Thank you for your order.',
      '',
    ].join('\r\n'));
    const receipt = await server.outpost.submit({ from: SENDER, to: ['user@dest.test'], raw, accountId: account.id, source: 'smtp' });
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    received = mx.messages[0]!.raw;
  });

  after(async () => {
    await server?.close();
    await mx?.close();
    await dns?.close();
  });

  async function dkimResult(raw: Buffer): Promise<string | undefined> {
    const resolver = createDnsResolver([dns.address]);
    const verified = await dkimVerify(raw, { resolver: (name: string, type: string) => resolver.resolve(name, type) } as Parameters<typeof dkimVerify>[1]);
    return verified.results[0]?.status.result;
  }

  /** The received message with `line` added on top, where a relay on the way would put it. */
  const withHeaderAdded = (line: string): Buffer => Buffer.concat([Buffer.from(`${line}\r\n`), received]);

  it('passes for the message as it arrived', async () => {
    assert.equal(await dkimResult(received), 'pass');
  });

  for (const added of ['From: Support <support@evil.test>', 'Subject: Urgent: confirm your password', 'To: victim@dest.test', 'Message-ID: <replayed@evil.test>']) {
    const name = added.slice(0, added.indexOf(':'));
    it(`fails once a second ${name} header is added on the way (${name} is over-signed)`, async () => {
      const result = await dkimResult(withHeaderAdded(added));
      assert.notEqual(result, 'pass', `an added ${name} header left the signature valid (${result})`);
    });
  }

  it('lists each present over-signed header once more in h= than it occurs', () => {
    const signature = /^DKIM-Signature:(.*(?:\r\n[ \t].*)*)/im.exec(received.toString())![1]!.replace(/\r\n[ \t]+/g, ' ');
    const listed = /\bh=([^;]+)/.exec(signature)![1]!.split(':').map((name) => name.trim().toLowerCase());
    const count = (name: string) => listed.filter((each) => each === name).length;
    for (const name of ['from', 'to', 'subject', 'date', 'message-id']) assert.equal(count(name), 2, `${name} in h=${listed.join(':')}`);
    // over-signed only when present (the message has no Reply-To)
    assert.equal(count('reply-to'), 0);
    // not over-signed: MIME-Version is signed once
    assert.equal(count('mime-version'), 1);
  });
});

describe('dkim-sign: the mailauth version the signer builds on', () => {
  const require = createRequire(import.meta.url);
  const pinned = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> }).dependencies.mailauth;

  it('is pinned to one exact version in package.json, and that version is installed', () => {
    assert.match(pinned ?? '', /^\d+\.\d+\.\d+$/, `package.json must pin mailauth exactly (the signer imports its internal modules), got "${pinned}"`);
    assert.equal((require('mailauth/package.json') as { version: string }).version, pinned);
  });

  it('still has the internal modules and functions core/domains/dkim-signer.ts imports', async () => {
    const body = (await import('mailauth/lib/dkim/body/index.js')) as Record<string, unknown>;
    const header = (await import('mailauth/lib/dkim/header/index.js')) as Record<string, unknown>;
    const tools = (await import('mailauth/lib/tools.js')) as Record<string, unknown>;
    assert.equal(typeof body.dkimBody, 'function');
    assert.equal(typeof header.generateCanonicalizedHeader, 'function');
    for (const name of ['formatSignatureHeaderLine', 'getSigningHeaderLines', 'parseHeaders']) assert.equal(typeof tools[name], 'function', name);
  });
});
