/**
 * The From header over SMTP submission, against the real listener: the
 * message must name exactly one author as every RFC 5322 reader would find it
 * (one From field, obsolete "From :" included; one mailbox, or a Sender
 * naming who sent for several; an address every parser reads alike), and the
 * From addresses refused are the very ones POST /v1/mail/send refuses as
 * `from`, with the same reason. Refused messages reach neither the spool nor
 * the destination.
 */
import assert from 'node:assert/strict';
import { request } from '../../support/http.js';
import { allFinal, waitForStatus } from '../../support/outpost.js';
import { queuedId, startSubmissionHarness, submissionTransport, type SubmissionHarness } from '../../support/submission.js';

/** A whole message whose header block starts with `headerLines`. */
function rawMessage(headerLines: string[]): Buffer {
  return Buffer.from([...headerLines, 'To: user@dest.test', 'Subject: quarterly figures', '', 'See attached.', ''].join('\r\n'));
}

describe('SMTP submission: the From header', () => {
  let harness: SubmissionHarness;

  before(async () => {
    harness = await startSubmissionHarness();
  });

  after(async () => {
    await harness?.close();
  });

  const auth = () => ({ user: harness.account.id, pass: harness.account.apiKey });

  /** Submits `raw` as news@acme.test; resolves with the 250 reply, or the error's reply line. */
  async function submit(raw: Buffer): Promise<{ accepted?: string; refused?: string }> {
    const transport = submissionTransport(harness.submission, auth());
    try {
      const info = await transport.sendMail({ envelope: { from: 'news@acme.test', to: ['user@dest.test'] }, raw });
      return { accepted: info.response };
    } catch (error) {
      const { command, response } = error as { command?: string; response?: string };
      assert.equal(command, 'DATA', `refused at ${command}: ${response}`);
      return { refused: response };
    } finally {
      transport.close();
    }
  }

  async function messageCount(): Promise<number> {
    const listed = await request<{ items: unknown[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
    return listed.body.items.length;
  }

  /** Submits `raw`, expecting a refusal at DATA; resolves with its reply once sure nothing was queued or delivered. */
  async function refusal(raw: Buffer): Promise<string> {
    const [queued, delivered] = [await messageCount(), harness.mx.messages.length];
    const { accepted, refused } = await submit(raw);
    assert.equal(accepted, undefined, `accepted: ${raw.toString()}`);
    assert.equal(await messageCount(), queued, 'no message was queued');
    assert.equal(harness.mx.messages.length, delivered, 'nothing reached the destination');
    return refused!;
  }

  it('refuses a message whose first line "From : ceo@other.test" (obsolete syntax) is a second From (550 5.6.0)', async () => {
    // mailsplit takes a first line starting "From " for an mbox separator; an RFC 5322 reader takes it for the author
    const refused = await refusal(rawMessage(['From : ceo@other.test', 'From: news@acme.test']));
    assert.match(refused, /^550 5\.6\.0 the message has 2 From fields/);
    assert.match(refused, /exactly one From/);
  });

  it('refuses a From written with space before the colon further down, next to the real one', async () => {
    const refused = await refusal(rawMessage(['Date: Mon, 2 Mar 2026 09:00:00 +0000', 'From: news@acme.test', 'From\t: ceo@other.test']));
    assert.match(refused, /^550 5\.6\.0 the message has 2 From fields/);
  });

  it('refuses a header line that is no field at all (an mbox "From " separator)', async () => {
    const refused = await refusal(rawMessage(['From ceo@other.test Mon Mar  2 09:00:00 2026', 'From: news@acme.test']));
    assert.match(refused, /^550 5\.6\.0 header line 1 \("From ceo@other\.test Mon Mar {2}2 09:00:00 2026"\) is not a header field/);
  });

  it('refuses a From with several mailboxes and no Sender, and takes it with one', async () => {
    const refused = await refusal(rawMessage(['From: news@acme.test, sales@acme.test']));
    assert.match(refused, /^550 5\.6\.0 the From header names 2 mailboxes and there is no Sender header/);

    const { accepted } = await submit(rawMessage(['From: news@acme.test, sales@acme.test', 'Sender: news@acme.test']));
    assert.match(accepted ?? '', /^250 /);
    const view = await waitForStatus(harness.server.outpost, queuedId(accepted!), allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
  });

  it('refuses a From that RFC 5322 cannot read, though a lenient parser finds an address in it; takes the usual forms', async () => {
    for (const from of ['ceo@other.test <news@acme.test>', '<news@acme.test> ceo@other.test', 'news@acme.test ceo@other.test']) {
      const refused = await refusal(rawMessage([`From: ${from}`]));
      assert.match(refused, /^550 5\.6\.0 From: .* is not a list of mailboxes/, from);
    }
    const usual = [
      '"Jörg Müller, Sales" <news@acme.test>',
      '=?UTF-8?Q?J=C3=B6rg?= <news@acme.test>',
      'news@acme.test (Newsletter)',
      '"ceo@other.test" <news@acme.test>',
      'Newsletter\r\n <news@acme.test>',
    ];
    for (const from of usual) {
      const { accepted } = await submit(rawMessage([`From: ${from}`]));
      assert.match(accepted ?? '', /^250 /, from);
      // delivered before the next test counts what reached the destination
      assert.equal((await waitForStatus(harness.server.outpost, queuedId(accepted!), allFinal)).recipients[0]!.status, 'delivered', from);
    }
  });

  it('refuses the From addresses REST refuses as from, with the same reason', async () => {
    for (const address of ['ceo@other.test@acme.test', 'ceo\\@other.test@acme.test', '"ceo@other.test"@acme.test']) {
      const rest = await request<{ code: string; message: string; details?: { field: string; problem: string }[] }>(harness.server.outpost, 'POST', '/v1/mail/send', {
        key: harness.account.apiKey,
        json: { from: address, to: ['user@dest.test'], subject: 'x', text: 'x' },
      });
      assert.equal(rest.status, 400, JSON.stringify(rest.body));
      const reason = rest.body.details?.find((detail) => detail.field === 'from')?.problem;
      assert.ok(reason, JSON.stringify(rest.body));

      const refused = await refusal(rawMessage([`From: Sales <${address}>`]));
      assert.equal(refused, `550 5.6.0 From: ${reason}`, address);
    }
  });
});
