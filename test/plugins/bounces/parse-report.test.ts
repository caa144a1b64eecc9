// Tests plugins/bounces/parse-report.ts: every fixture in test/fixtures/bounces (NN-<mta>-<case>.eml with the expected
// result beside it in .json) parses to its kind, tokens and recipients, and each recipient, classified the way the
// bounces plugin does it, gets the expected reason and bounce-or-retry; then hostile and broken input.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { classifyBounce, parseReplyLine } from '../../../core/bounces/classify.js';
import { parseReport, type ParsedReport, type ReportedRecipient } from '../../../plugins/bounces/parse-report.js';

const FIXTURES = new URL('../../fixtures/bounces/', import.meta.url);

interface Expected {
  kind: ParsedReport['kind'];
  recipients: { address: string; action?: ReportedRecipient['action']; reason: string; permanent: boolean }[];
  tokens: string[];
  feedbackType?: string;
  originalMessageId?: string;
  reportingMta?: string;
  arrivalDate?: string;
}

const fixtures = readdirSync(FIXTURES)
  .filter((file) => file.endsWith('.eml'))
  .sort()
  .map((file) => ({
    name: file.replace(/\.eml$/, ''),
    mta: /^\d+-([a-z0-9]+)-/.exec(file)![1]!,
    raw: readFileSync(new URL(file, FIXTURES)),
    expected: JSON.parse(readFileSync(new URL(file.replace(/\.eml$/, '.json'), FIXTURES), 'utf8')) as Expected,
  }));

/** What the bounces plugin does with a reported recipient: the reply in its diagnostic, the DSN's own status first. */
function classify(recipient: ReportedRecipient): { reason: string; permanent: boolean } {
  const reply = parseReplyLine(recipient.diagnosticCode ?? '');
  const code = reply.code ?? recipient.smtpCode;
  const status = recipient.status ?? reply.status;
  const { reason, permanent } = classifyBounce({ ...(code === undefined ? {} : { code }), ...(status === undefined ? {} : { status }), text: reply.text });
  return { reason, permanent };
}

const TOKEN = 'abcdefghij0123456789klmno.fn8.abcdefgh23';
const fixture = (name: string): string => fixtures.find((entry) => entry.name === name)!.raw.toString('utf8');

describe('parseReport on the fixtures', () => {
  const reports = fixtures.filter((entry) => entry.expected.kind !== 'autoreply' && entry.expected.kind !== 'other');

  it(`has at least 30 bounce and complaint layouts from at least 15 MTAs (${reports.length} from ${new Set(reports.map((entry) => entry.mta)).size})`, () => {
    assert.ok(reports.length >= 30);
    assert.ok(new Set(reports.map((entry) => entry.mta)).size >= 15);
    assert.ok(fixtures.filter((entry) => entry.expected.kind === 'autoreply').length >= 3);
    assert.ok(reports.some((entry) => entry.expected.kind === 'dsn' && entry.expected.recipients.length > 1));
    assert.ok(reports.filter((entry) => entry.expected.kind === 'arf').length >= 3);
  });

  for (const { name, raw, expected } of fixtures) {
    it(`${name}: ${expected.kind}, ${expected.recipients.map((recipient) => `${recipient.address} ${recipient.reason}`).join(', ') || 'no recipients'}`, async () => {
      const report = await parseReport(raw);
      assert.equal(report.kind, expected.kind);
      assert.deepEqual(report.tokens, expected.tokens);
      assert.equal(report.feedbackType, expected.feedbackType);
      assert.equal(report.truncated, false);
      for (const key of ['originalMessageId', 'reportingMta', 'arrivalDate'] as const) if (expected[key] !== undefined) assert.equal(report[key], expected[key], key);
      assert.deepEqual(
        report.recipients.map((recipient) => recipient.address),
        expected.recipients.map((recipient) => recipient.address),
      );
      report.recipients.forEach((recipient, index) => {
        const wanted = expected.recipients[index]!;
        assert.deepEqual(classify(recipient), { reason: wanted.reason, permanent: wanted.permanent }, `${recipient.address}: ${recipient.diagnosticCode}`);
        if (wanted.action) assert.equal(recipient.action, wanted.action, recipient.address);
      });
    });
  }
});

describe('parseReport on hostile and broken input', () => {
  it('reads a 1,000-recipient DSN up to maxRecipients and says it was cut', async () => {
    const groups = Array.from({ length: 1000 }, (_, index) => `Final-Recipient: rfc822; user${index}@example.org\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n`);
    const raw = Buffer.from(dsn(`Reporting-MTA: dns; relay.example.net\n\n${groups.join('\n')}`));
    const report = await parseReport(raw);
    assert.equal(report.kind, 'dsn');
    assert.equal(report.recipients.length, 100);
    assert.equal(report.truncated, true);
    assert.equal(report.recipients[99]!.address, 'user99@example.org');
    assert.deepEqual(report.tokens, [TOKEN]);
    const fewer = await parseReport(raw, { maxRecipients: 10 });
    assert.equal(fewer.recipients.length, 10);
    assert.equal(fewer.truncated, true);
  });

  it('reads garbage bytes as other', async () => {
    let seed = 42;
    const garbage = Buffer.from(Array.from({ length: 256 * 1024 }, () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff));
    const report = await parseReport(garbage);
    assert.equal(report.kind, 'other');
    assert.deepEqual(report.recipients, []);
  });

  it('reads an empty buffer as other', async () => {
    assert.deepEqual(await parseReport(Buffer.alloc(0)), { kind: 'other', recipients: [], truncated: false, tokens: [] });
  });

  it('reads what it can of a truncated MIME message', async () => {
    const whole = fixture('01-postfix-dsn-userunknown');
    const cutInStatus = await parseReport(Buffer.from(whole.slice(0, whole.indexOf('Status: 5.1.1'))));
    assert.equal(cutInStatus.kind, 'dsn');
    assert.deepEqual(
      cutInStatus.recipients.map((recipient) => [recipient.address, recipient.action, recipient.status]),
      [['jdoe@example.org', 'failed', undefined]],
    );
    for (let length = 0; length < whole.length; length += 97) await parseReport(Buffer.from(whole.slice(0, length)));
  });

  it('reads a DSN whose delivery-status part is missing from its text, as a bounce', async () => {
    const whole = fixture('01-postfix-dsn-userunknown');
    const boundary = '--4Wc1Qn0Lk3z1xyZ.1748859303/relay.example.net';
    const parts = whole.split(boundary);
    const report = await parseReport(Buffer.from(parts.filter((part) => !part.includes('Content-Type: message/delivery-status')).join(boundary)));
    assert.equal(report.kind, 'bounce');
    assert.deepEqual(
      report.recipients.map((recipient) => [recipient.address, classify(recipient).reason]),
      [['jdoe@example.org', 'userunknown']],
    );
    assert.equal(report.tokens.length, 1);
  });

  it('reads a delivery-status part sent as text/plain or as an attachment', async () => {
    const fields = 'Reporting-MTA: dns; relay.example.net\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.2.2\n';
    for (const head of ['Content-Type: text/plain; name="details.txt"', 'Content-Type: message/delivery-status\nContent-Disposition: attachment; filename="details.txt"']) {
      const report = await parseReport(Buffer.from(dsn(fields, head)));
      assert.equal(report.kind, 'dsn', head);
      assert.deepEqual(
        report.recipients.map((recipient) => [recipient.address, recipient.status, classify(recipient).reason]),
        [['a@example.org', '5.2.2', 'mailboxfull']],
      );
    }
  });

  it('reads an ARF report: Feedback-Type, every Original-Rcpt-To, the original Message-ID', async () => {
    const raw = [
      'From: fbl@isp.example',
      'To: abuse@acme.test',
      'Subject: Abuse report',
      'MIME-Version: 1.0',
      'Content-Type: multipart/report; report-type=feedback-report; boundary="arf"',
      '',
      '--arf',
      'Content-Type: text/plain',
      '',
      'This is a fraud report.',
      '--arf',
      'Content-Type: text/plain',
      '',
      'Feedback-Type: fraud',
      'User-Agent: ExampleFBL/1.0',
      'Version: 1',
      `Original-Mail-From: <bounce+${TOKEN}@bounce.acme.test>`,
      'Original-Rcpt-To: <A@example.org>',
      'Original-Rcpt-To: b@example.org',
      'Arrival-Date: Mon, 2 Jun 2025 10:15:01 +0000',
      '--arf',
      'Content-Type: text/rfc822-headers',
      '',
      'From: billing@acme.test',
      'To: a@example.org, b@example.org',
      'Message-ID: <m1@mta1.acme.test>',
      '--arf--',
      '',
    ].join('\r\n');
    const report = await parseReport(Buffer.from(raw));
    assert.equal(report.kind, 'arf');
    assert.equal(report.feedbackType, 'fraud');
    assert.equal(report.arrivalDate, 'Mon, 2 Jun 2025 10:15:01 +0000');
    assert.equal(report.originalMessageId, '<m1@mta1.acme.test>');
    assert.deepEqual(report.tokens, [TOKEN]);
    assert.deepEqual(
      report.recipients.map((recipient) => [recipient.address, classify(recipient).reason, classify(recipient).permanent]),
      [
        ['a@example.org', 'feedback', true],
        ['b@example.org', 'feedback', true],
      ],
    );
  });

  it('reads only the outer report of a report inside a report, and the tokens the inner one quotes', async () => {
    const inner = fixture('02-postfix-dsn-delayed');
    const raw = dsn('Reporting-MTA: dns; outer.example.net\n\nFinal-Recipient: rfc822; outer@example.org\nAction: failed\nStatus: 5.1.1\n', undefined, inner);
    const report = await parseReport(Buffer.from(raw));
    assert.equal(report.kind, 'dsn');
    assert.deepEqual(
      report.recipients.map((recipient) => recipient.address),
      ['outer@example.org'],
    );
    assert.equal(report.reportingMta, 'outer.example.net');
    assert.deepEqual(report.tokens, fixtures.find((entry) => entry.name === '02-postfix-dsn-delayed')!.expected.tokens);
  });

  it('lets a DSN win over the Auto-Submitted header it carries, and reads a read receipt and a plain message as other', async () => {
    assert.match(fixture('01-postfix-dsn-userunknown'), /^Auto-Submitted: auto-replied/m);
    assert.equal((await parseReport(Buffer.from(fixture('01-postfix-dsn-userunknown')))).kind, 'dsn');
    const receipt = dsn('Reporting-UA: mail.example.org\nFinal-Recipient: rfc822; a@example.org\nDisposition: manual-action/MDN-sent-manually; displayed\n', 'Content-Type: message/disposition-notification').replace('report-type=delivery-status', 'report-type=disposition-notification');
    assert.equal((await parseReport(Buffer.from(receipt))).kind, 'other');
    const personal = await parseReport(Buffer.from(`From: a@example.org\r\nTo: bounce+${TOKEN}@bounce.acme.test\r\nSubject: Question about my invoice\r\n\r\nHello, could you resend it?\r\n`));
    assert.deepEqual(personal, { kind: 'other', recipients: [], truncated: false, tokens: [TOKEN] });
  });

  it('stays linear on hostile megabyte-sized parts (long runs without "@", ">" or blank lines)', async () => {
    const mega = 'a'.repeat(1024 * 1024);
    const daemon = 'From: MAILER-DAEMON@relay.example.net\r\nSubject: failure notice\r\n\r\nHi. This is the qmail-send program\r\n';
    const inputs = [
      `Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: abuse\r\nOriginal-Rcpt-To: ${mega}\r\n--b--\r\n`,
      `Content-Type: text/html\r\n\r\n${'<'.repeat(1024 * 1024)}`,
      `${daemon}RCPT TO:<${mega}>\r\n550 5.1.1 x\r\n`,
      `${daemon}${'x@'.repeat(512 * 1024)}\r\n`,
      `${daemon}<a@example.org>:\r\n${'said: 550 '.repeat(100 * 1024)}\r\n`,
      dsn(`Final-Recipient: rfc822; a@example.org\nAction: failed\nDiagnostic-Code: smtp; ${'550-5.1.1 x\n '.repeat(64 * 1024)}`),
      dsn('Final-Recipient: rfc822; a@example.org\n'.repeat(32 * 1024)),
    ];
    for (const [index, raw] of inputs.entries()) {
      const started = performance.now();
      const report = await parseReport(Buffer.from(raw));
      for (const recipient of report.recipients) classify(recipient);
      assert.ok(performance.now() - started < 3000, `input ${index} took ${Math.round(performance.now() - started)} ms`);
    }
  });

  it('survives absurd nesting and headers', async () => {
    const depth = 400;
    const open = Array.from({ length: depth }, (_, index) => `Content-Type: multipart/mixed; boundary="b${index}"\r\n\r\n--b${index}\r\n`).join('');
    const nested = await parseReport(Buffer.from(`From: x@example.org\r\n${open}Content-Type: text/plain\r\n\r\nhi\r\n`));
    assert.equal(nested.kind, 'other');
    const longHeader = await parseReport(Buffer.from(`Subject: ${'x'.repeat(2 * 1024 * 1024)}\r\n\r\nbody\r\n`));
    assert.equal(longHeader.kind, 'other');
  });
});

/** A Postfix-style DSN around `fields`, its status part labelled `statusHead`, with `attached` as the returned message. */
function dsn(fields: string, statusHead = 'Content-Type: message/delivery-status', attached = `Return-Path: <bounce+${TOKEN}@bounce.acme.test>\nMessage-ID: <m1@mta1.acme.test>\n\nhello\n`): string {
  return [
    'From: MAILER-DAEMON@relay.example.net (Mail Delivery System)',
    'Subject: Undelivered Mail Returned to Sender',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b"',
    '',
    '--b',
    'Content-Type: text/plain',
    '',
    'Your message could not be delivered.',
    '--b',
    statusHead,
    '',
    fields,
    '--b',
    'Content-Type: message/rfc822',
    '',
    attached,
    '--b--',
    '',
  ].join('\n');
}
