/**
 * SMTP smuggling (CVE-2023-51764 class) against the real listener: a DATA
 * stream carrying a fake end-of-data (bare LF, bare CR, NUL before the dot)
 * followed by a second message is refused as a whole with 550 5.5.2, and
 * nothing of it reaches the spool or the destination; a proper dot-stuffed
 * line goes through as exactly one message. Also the DATA checks themselves,
 * fed byte patterns split across chunk boundaries.
 */
import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DataChecks } from '../../../api/smtp/data-checks.js';
import { request } from '../../support/http.js';
import { allFinal, waitForStatus } from '../../support/outpost.js';
import { RawSmtpClient } from '../../support/smtp-client.js';
import { queuedId, startSubmissionHarness, type SubmissionHarness } from '../../support/submission.js';

/** Fake ends of DATA that lenient servers have been seen to accept. */
const FAKE_ENDS: Record<string, string> = {
  'LF . CRLF': '\n.\r\n',
  'LF . LF': '\n.\n',
  'CR . CRLF': '\r.\r\n',
  'CR . CR': '\r.\r',
  'CRLF . LF': '\r\n.\n',
  'CRLF NUL . CRLF': '\r\n\x00.\r\n',
  'LF .. CRLF (dot-stuffed after a bare LF)': '\n..\r\n',
};

describe('SMTP submission: smuggling', () => {
  let harness: SubmissionHarness;
  let client: RawSmtpClient | undefined;

  before(async () => {
    harness = await startSubmissionHarness();
  });

  after(async () => {
    await harness?.close();
  });

  afterEach(() => {
    client?.close();
    client = undefined;
  });

  async function authenticatedSession(): Promise<RawSmtpClient> {
    client = await RawSmtpClient.connect(harness.submissionTls, { tls: true });
    assert.equal((await client.reply()).code, 220);
    await client.ehlo();
    assert.equal((await client.authPlain(harness.account.id, harness.account.apiKey)).code, 235);
    return client;
  }

  /** A whole transaction in one write, the way a smuggling client sends it. */
  function transaction(body: string): string {
    return [
      'MAIL FROM:<news@acme.test>\r\n',
      'RCPT TO:<user@dest.test>\r\n',
      'DATA\r\n',
      'From: news@acme.test\r\nTo: user@dest.test\r\nSubject: first\r\n\r\n',
      body,
      '\r\n.\r\n',
    ].join('');
  }

  for (const [name, fakeEnd] of Object.entries(FAKE_ENDS)) {
    it(`refuses a message whose body holds "${name}" and a second message, as a whole (550 5.5.2)`, async () => {
      const session = await authenticatedSession();
      const smuggled = [
        'MAIL FROM:<news@acme.test>\r\n',
        'RCPT TO:<victim@dest.test>\r\n',
        'DATA\r\n',
        'From: ceo@acme.test\r\nTo: victim@dest.test\r\nSubject: smuggled\r\n\r\nWire the money.',
      ].join('');
      session.write(transaction(`Hello.${fakeEnd}${smuggled}`));
      assert.match((await session.reply()).raw, /^250 /); // MAIL
      assert.match((await session.reply()).raw, /^250 /); // RCPT
      assert.equal((await session.reply()).code, 354);
      const verdict = await session.reply();
      assert.match(verdict.raw, /^550 5\.5\.2 the message contains a (bare LF|bare CR|NUL byte)/);
      // exactly one reply for the whole of it: nothing inside DATA ran as a command
      assert.match((await session.command('QUIT')).raw, /^221 /);
      assert.equal(session.pendingReplies, 0);
      // and nothing of it was queued: the account has no message at all
      const listed = await request<{ items: unknown[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
      assert.deepEqual(listed.body.items, []);
    });
  }

  it('passes a dot-stuffed line as exactly one message, the only one the destination ever sees', async () => {
    const session = await authenticatedSession();
    // "..\r\n" is the client's escape of a line holding a single dot: content, not the end
    session.write(transaction('Line one.\r\n..\r\nMAIL FROM:<news@acme.test>\r\nStill the same message.'));
    for (const code of [250, 250, 354]) assert.equal((await session.reply()).code, code);
    const accepted = await session.reply();
    assert.match(accepted.raw, /^250 2\.6\.0 Ok: queued as /);
    const view = await waitForStatus(harness.server.outpost, queuedId(accepted.raw), allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');

    const messages = await harness.mx.waitForMessages(1);
    assert.equal(messages.length, 1, 'nothing from the refused transactions was delivered');
    assert.deepEqual(messages[0]!.rcptTo, ['user@dest.test']);
    assert.match(messages[0]!.raw.toString(), /\r\nLine one\.\r\n\.\r\nMAIL FROM:<news@acme\.test>\r\nStill the same message\./);
    const listed = await request<{ items: { id: string }[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
    assert.equal(listed.status, 200, JSON.stringify(listed.body));
    assert.deepEqual(listed.body.items.map((item) => item.id), [view.id], 'only the good message exists in the account');
  });
});

describe('DataChecks', () => {
  async function check(chunks: string[], limits = { maxMessageBytes: 1000, maxLineBytes: 998 }): Promise<{ problem: string | undefined; out: string }> {
    const checks = new DataChecks(limits);
    let out = '';
    await pipeline(
      Readable.from(chunks.map((chunk) => Buffer.from(chunk, 'latin1'))),
      checks,
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          out += chunk.toString('latin1');
          callback();
        },
      }),
    );
    return { problem: checks.problem?.message, out };
  }

  it('passes CRLF text through unchanged, whatever the chunking', async () => {
    assert.deepEqual(await check(['a\r', '\nb\r\n', '\r', '\n']), { problem: undefined, out: 'a\r\nb\r\n\r\n' });
  });

  it('finds a bare LF, a bare CR and a NUL, also at chunk boundaries', async () => {
    assert.match((await check(['a\r\n', '\nb\r\n'])).problem!, /bare LF/);
    assert.match((await check(['a\r', 'b\r\n'])).problem!, /bare CR/);
    assert.match((await check(['a\r\nb\r'])).problem!, /bare CR/);
    assert.match((await check(['a\r\n', '\x00.\r\n'])).problem!, /NUL/);
  });

  it('stops passing data on at the first problem', async () => {
    const { out } = await check(['ok\r\n', 'bad\n', 'more\r\n']);
    assert.equal(out, 'ok\r\n');
  });

  it('limits line length (without CRLF) and size', async () => {
    const limits = { maxMessageBytes: 5000, maxLineBytes: 998 };
    assert.equal((await check([`${'x'.repeat(998)}\r\n`], limits)).problem, undefined);
    assert.equal((await check([`${'x'.repeat(500)}`, `${'x'.repeat(498)}\r`, '\n'], limits)).problem, undefined);
    assert.match((await check([`${'x'.repeat(999)}\r\n`], limits)).problem!, /longer than 998 bytes/);
    assert.match((await check([`${'x'.repeat(600)}`, `${'x'.repeat(600)}`], limits)).problem!, /longer than 998 bytes/);
    assert.match((await check(['ab\r\n'.repeat(1251)], limits)).problem!, /larger than 5000 bytes/);
  });
});
