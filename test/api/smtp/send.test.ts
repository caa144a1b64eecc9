/**
 * SMTP submission end to end, with nodemailer as the legacy app: STARTTLS (or
 * implicit TLS) + AUTH + DATA into the same pipeline as REST, delivered to the
 * test MX, visible in the message status API; X-Outpost-* options honoured
 * and removed; sender checks at MAIL FROM and on the From header.
 */
import assert from 'node:assert/strict';
import { definePlugin, verdict } from '../../../core/plugins/plugin-api.js';
import { request } from '../../support/http.js';
import { allFinal, waitForStatus } from '../../support/outpost.js';
import { queuedId, startSubmissionHarness, submissionTransport, type SubmissionHarness } from '../../support/submission.js';

/** A scan plugin, as a spam filter would be: refuses any message whose subject mentions "lottery". */
const spamFilter = definePlugin({
  name: 'test-spam-filter',
  register(api) {
    api.addHook('message:scan', (message) => (/lottery/i.test(message.headers.getFirst('subject')) ? verdict.reject(554, '5.7.1', 'this looks like spam') : verdict.continue()));
  },
});

describe('SMTP submission: sending', () => {
  let harness: SubmissionHarness;

  beforeEach(async () => {
    harness = await startSubmissionHarness({ plugins: [spamFilter] });
  });

  afterEach(async () => {
    await harness?.close();
  });

  const auth = () => ({ user: harness.account.id, pass: harness.account.apiKey });

  it('takes a message over STARTTLS + AUTH, delivers it, and shows it in GET /v1/mail/messages/:id', async () => {
    const transport = submissionTransport(harness.submission, auth());
    const info = await transport.sendMail({
      from: 'News <news@acme.test>',
      to: 'user@dest.test',
      subject: 'Hello over SMTP',
      text: 'Sent by a legacy app.',
      headers: { 'X-Outpost-Tags': 'welcome, onboarding' },
    });
    transport.close();
    assert.match(info.response, /^250 2\.6\.0 Ok: queued as [0-9a-z]+$/);
    const id = queuedId(info.response);

    const view = await waitForStatus(harness.server.outpost, id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    const [delivered] = await harness.mx.waitForMessages(1);
    const text = delivered!.raw.toString();
    assert.match(text, /Subject: Hello over SMTP/);
    assert.match(text, /^DKIM-Signature: /m);
    assert.doesNotMatch(text, /X-Outpost/i);
    assert.equal(delivered!.bodyType, undefined, 'a 7-bit message is relayed without BODY=8BITMIME');

    const api = await request<{ id: string; tags: string[]; recipients: { status: string }[] }>(harness.server.outpost, 'GET', `/v1/mail/messages/${id}`, { key: harness.account.apiKey });
    assert.equal(api.status, 200, JSON.stringify(api.body));
    assert.equal(api.body.id, id);
    assert.deepEqual(api.body.tags, ['welcome', 'onboarding']);
    assert.equal(api.body.recipients[0]!.status, 'delivered');
  });

  it('takes a message over implicit TLS (the 465 listener)', async () => {
    const transport = submissionTransport(harness.submissionTls, auth(), true);
    const info = await transport.sendMail({ from: 'news@acme.test', to: 'user@dest.test', subject: 'Over 465', text: 'Hi.' });
    transport.close();
    const view = await waitForStatus(harness.server.outpost, queuedId(info.response), allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
  });

  it('honours X-Outpost-Test-Mode: the recipients end as test and nothing is delivered', async () => {
    const transport = submissionTransport(harness.submission, auth());
    const test = await transport.sendMail({
      from: 'news@acme.test',
      to: 'user@dest.test',
      subject: 'Dry run',
      text: 'Not for delivery.',
      headers: { 'X-Outpost-Test-Mode': 'true', 'X-Outpost-Tags': 'dry-run' },
    });
    const view = await harness.server.outpost.getMessage(queuedId(test.response));
    assert.deepEqual(view!.recipients.map((recipient) => recipient.status), ['test']);
    assert.deepEqual(view!.tags, ['dry-run']);

    // a real message sent after it is the only one the destination ever sees
    const real = await transport.sendMail({ from: 'news@acme.test', to: 'user@dest.test', subject: 'Real', text: 'For delivery.' });
    transport.close();
    await waitForStatus(harness.server.outpost, queuedId(real.response), allFinal);
    const messages = await harness.mx.waitForMessages(1);
    assert.equal(messages.length, 1);
    assert.match(messages[0]!.raw.toString(), /Subject: Real/);
  });

  it('refuses a bad X-Outpost-* value, or an unknown X-Outpost-* header, with 550 5.6.0 naming the header', async () => {
    const transport = submissionTransport(harness.submission, auth());
    await assert.rejects(
      transport.sendMail({ from: 'news@acme.test', to: 'user@dest.test', subject: 'x', text: 'x', headers: { 'X-Outpost-Open-Tracking': 'maybe' } }),
      (error: { responseCode?: number; response?: string }) => {
        assert.equal(error.responseCode, 550);
        assert.match(error.response!, /^550 5\.6\.0 X-Outpost-Open-Tracking: "maybe" is not a boolean/);
        return true;
      },
    );
    await assert.rejects(
      transport.sendMail({ from: 'news@acme.test', to: 'user@dest.test', subject: 'x', text: 'x', headers: { 'X-Outpost-Tag': 'typo' } }),
      (error: { response?: string }) => {
        assert.match(error.response!, /^550 5\.6\.0 X-Outpost-Tag is not an Outpost option/);
        return true;
      },
    );
    transport.close();
  });

  it('refuses a MAIL FROM on an unverified domain (550 5.7.1), and a From header on one at DATA (550 5.7.1)', async () => {
    const transport = submissionTransport(harness.submission, auth());
    await assert.rejects(
      transport.sendMail({ from: 'someone@elsewhere.test', to: 'user@dest.test', subject: 'x', text: 'x' }),
      (error: { response?: string; command?: string }) => {
        assert.equal(error.command, 'MAIL FROM');
        assert.match(error.response!, /^550 5\.7\.1 elsewhere\.test is not a verified sending domain of this account/);
        return true;
      },
    );
    await assert.rejects(
      transport.sendMail({ envelope: { from: 'news@acme.test', to: ['user@dest.test'] }, from: 'ceo@elsewhere.test', to: 'user@dest.test', subject: 'x', text: 'x' }),
      (error: { response?: string; command?: string }) => {
        assert.equal(error.command, 'DATA');
        assert.match(error.response!, /^550 5\.7\.1 elsewhere\.test is not a verified sending domain/);
        return true;
      },
    );
    transport.close();
  });

  it('answers a scan rejection at DATA with the plugin\'s reply, and queues nothing', async () => {
    const transport = submissionTransport(harness.submission, auth());
    await assert.rejects(
      transport.sendMail({ from: 'news@acme.test', to: 'user@dest.test', subject: 'You won the lottery', text: 'Claim it.' }),
      (error: { response?: string; command?: string }) => {
        assert.equal(error.command, 'DATA');
        assert.match(error.response!, /^554 5\.7\.1 this looks like spam/);
        return true;
      },
    );
    transport.close();
    const listed = await request<{ items: unknown[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
    assert.deepEqual(listed.body.items, []);
  });

  it('accepts 8BITMIME and SMTPUTF8: a UTF-8 body and an internationalised recipient', async () => {
    const transport = submissionTransport(harness.submission, auth());
    const raw = [
      'From: news@acme.test',
      'To: jürgen@dest.test',
      'Subject: =?UTF-8?Q?Gr=C3=BC=C3=9Fe?=',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=UTF-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      'Schöne Grüße aus Köln.',
      '',
    ].join('\r\n');
    const info = await transport.sendMail({ envelope: { from: 'news@acme.test', to: ['jürgen@dest.test'] }, raw: Buffer.from(raw) });
    transport.close();
    const view = await waitForStatus(harness.server.outpost, queuedId(info.response), allFinal);
    assert.equal(view.recipients[0]!.address, 'jürgen@dest.test');
    assert.equal(view.recipients[0]!.status, 'delivered');
    const [delivered] = await harness.mx.waitForMessages(1);
    assert.match(delivered!.raw.toString('utf8'), /Schöne Grüße aus Köln\./);
    assert.equal(delivered!.bodyType, '8BITMIME', 'an 8-bit body is relayed with BODY=8BITMIME');
  });
});

describe('SMTP submission: the queue guard', () => {
  let harness: SubmissionHarness | undefined;
  afterEach(async () => {
    await harness?.close();
  });

  it('answers MAIL FROM with 452 4.3.1 naming OUTPOST_MAX_QUEUED_RECIPIENTS while the queue is full, before any data', async () => {
    harness = await startSubmissionHarness({
      env: { OUTPOST_MAX_QUEUED_RECIPIENTS: '2', OUTPOST_RETRY_SCHEDULE: '1h' },
      mx: { rcptReply: () => '451 4.3.0 try later' },
    });
    const transport = submissionTransport(harness.submission, { user: harness.account.id, pass: harness.account.apiKey });
    const message = (to: string[]) => ({ from: 'news@acme.test', to, subject: 'queued', text: 'x' });
    await transport.sendMail(message(['a@dest.test', 'b@dest.test']));
    // both deferred and back in the queue: it is now full
    const deadline = Date.now() + 10_000;
    while (harness.server.outpost.queuedRecipients < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await assert.rejects(transport.sendMail(message(['c@dest.test'])), (error: Error & { responseCode?: number; response?: string; command?: string }) => {
      assert.equal(error.responseCode, 452);
      assert.equal(error.command, 'MAIL FROM');
      assert.match(error.response ?? '', /^452 4\.3\.1 .*OUTPOST_MAX_QUEUED_RECIPIENTS/);
      return true;
    });
    transport.close();
    assert.equal(harness.mx.messages.length, 0);
  });
});
