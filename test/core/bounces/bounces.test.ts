/**
 * Bounces and complaints end to end, against real servers: Outpost in process
 * with its inbound MX listener on port 0, a scripted destination MX, a real
 * DNS server, and nodemailer sending reports to the MX listener. A reply at
 * delivery and a report that comes back later go through the one classifier;
 * hard reasons and complaints suppress, the rest do not; the MX listener takes
 * mail only for valid return paths and its own role addresses; an account whose
 * bounce rate crosses the threshold is paused until an admin resumes it.
 */
import assert from 'node:assert/strict';
import { createTransport } from 'nodemailer';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, rawMessage, startOutpost, TEST_ADMIN_KEY, waitForStatus, type TestOutpost } from '../../support/outpost.js';
import { RawSmtpClient } from '../../support/smtp-client.js';

const SENDER = 'news@acme.test';

/** An RFC 3464 DSN as an MTA writes it, about `recipient`, with the original's headers attached. */
function dsn(returnPath: string, recipient: string, diagnostic: string, status: string): string {
  return [
    'From: Mail Delivery System <MAILER-DAEMON@mx.dest.test>',
    `To: ${returnPath}`,
    'Subject: Undelivered Mail Returned to Sender',
    'Auto-Submitted: auto-replied',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain',
    '',
    'This is the mail system at host mx.dest.test. Your message could not be delivered.',
    '',
    '--b1',
    'Content-Type: message/delivery-status',
    '',
    'Reporting-MTA: dns; mx.dest.test',
    '',
    `Final-Recipient: rfc822; ${recipient}`,
    'Action: failed',
    `Status: ${status}`,
    'Remote-MTA: dns; store.dest.test',
    `Diagnostic-Code: smtp; ${diagnostic}`,
    '',
    '--b1',
    'Content-Type: text/rfc822-headers',
    '',
    `Return-Path: <${returnPath}>`,
    `From: ${SENDER}`,
    `To: ${recipient}`,
    'Subject: hello',
    '',
    '--b1--',
    '',
  ].join('\r\n');
}

/** An RFC 5965 complaint from a feedback loop about `recipient`, with the original attached. */
function arf(returnPath: string, recipient: string): string {
  return [
    'From: feedback@fbl.dest.test',
    'To: abuse@outpost.test',
    'Subject: FW: hello',
    'MIME-Version: 1.0',
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b2"',
    '',
    '--b2',
    'Content-Type: text/plain',
    '',
    'This is an email abuse report for an email message received from IP 127.0.0.1.',
    '',
    '--b2',
    'Content-Type: message/feedback-report',
    '',
    'Feedback-Type: abuse',
    'User-Agent: FBL/1.0',
    'Version: 1',
    `Original-Rcpt-To: ${recipient}`,
    '',
    '--b2',
    'Content-Type: message/rfc822',
    '',
    `Return-Path: <${returnPath}>`,
    `From: ${SENDER}`,
    `To: ${recipient}`,
    'Subject: hello',
    '',
    'Hello',
    '',
    '--b2--',
    '',
  ].join('\r\n');
}

describe('bounces and complaints', function () {
  this.timeout(30_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let account: { id: string; apiKey: string };

  async function setUp(rcptReply: (address: string) => string | undefined = () => undefined, env: Record<string, string> = {}): Promise<void> {
    mx = await startMxServer({ rcptReply });
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env });
    account = await createAccount(server.outpost);
    await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
  }

  afterEach(async () => {
    await server?.close();
    await mx?.close();
    await dns?.close();
  });

  const send = (to: string[]) => server.outpost.submit({ from: SENDER, to, raw: rawMessage({ from: SENDER, to, subject: 'hello' }), source: 'api', accountId: account.id });
  const suppression = (address: string) => request<{ reason?: string }>(server.outpost, 'GET', `/v1/suppressions/${encodeURIComponent(address)}`, { key: account.apiKey });
  const recipient = async (messageId: string, address: string) => (await request<{ recipients: Record<string, unknown>[] }>(server.outpost, 'GET', `/v1/mail/messages/${messageId}`, { key: account.apiKey })).body.recipients.find((entry) => entry.address === address)!;

  /** Sends `raw` to Outpost's MX listener with the null sender, as a reporting MTA does; resolves with the server's reply. */
  async function report(to: string, raw: string): Promise<string> {
    const [host, port] = server.outpost.addresses().mx!.split(':');
    const transport = createTransport({ host, port: Number(port), secure: false, tls: { rejectUnauthorized: false }, name: 'mx.dest.test' });
    try {
      const info = await transport.sendMail({ envelope: { from: '', to }, raw });
      return info.response;
    } finally {
      transport.close();
    }
  }

  it('classifies replies at delivery: a hard userunknown is suppressed, a reputation block is not, a full mailbox is retried, a 4xx a rule knows to be final bounces', async () => {
    await setUp((address) => ({
      'gone@dest.test': '550 5.1.1 <gone@dest.test>: Recipient address rejected: User unknown',
      'blocked@dest.test': '550 5.7.1 Message rejected: blocked by reputation',
      'full@dest.test': '452 4.2.2 <full@dest.test>: mailbox full',
      'rule@dest.test': '450 4.1.1 <rule@dest.test>: Recipient address rejected: User unknown in local recipient table',
    })[address], { OUTPOST_RETRY_SCHEDULE: '1h' });
    const receipt = await send(['gone@dest.test', 'blocked@dest.test', 'full@dest.test', 'rule@dest.test']);
    await waitForStatus(server.outpost, receipt.id, (view) => view.recipients.every((entry) => entry.status !== 'queued'));

    assert.deepEqual(await recipient(receipt.id, 'gone@dest.test').then((entry) => [entry.status, entry.reason, entry.bounce_type]), ['bounced', 'userunknown', 'hard']);
    assert.deepEqual(await recipient(receipt.id, 'blocked@dest.test').then((entry) => [entry.status, entry.reason, entry.bounce_type]), ['bounced', 'blocked', 'soft']);
    assert.equal((await recipient(receipt.id, 'full@dest.test')).status, 'deferred');
    assert.deepEqual(await recipient(receipt.id, 'rule@dest.test').then((entry) => [entry.status, entry.reason]), ['bounced', 'userunknown']);

    const deadline = Date.now() + 5000;
    while ((await suppression('gone@dest.test')).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await suppression('gone@dest.test')).body.reason, 'hard_bounce');
    assert.equal((await suppression('blocked@dest.test')).status, 404, 'a block is not the address: it stays sendable');
    assert.equal((await suppression('full@dest.test')).status, 404);
  });

  it('turns a delivered recipient, and only it, bounced when a DSN comes back to its return path; suppresses it', async () => {
    await setUp();
    const receipt = await send(['a@dest.test', 'b@dest.test']);
    await waitForStatus(server.outpost, receipt.id, allFinal);
    const returnPath = mx.messages[0]!.mailFrom;
    assert.match(returnPath, /^bounce\+[0-9a-z.]+@bounce\.acme\.test$/);

    const answer = await report(returnPath, dsn(returnPath, 'b@dest.test', '550 5.1.1 <b@dest.test>: Recipient address rejected: User unknown in virtual mailbox table', '5.1.1'));
    assert.match(answer, /^250 2\.6\.0 Ok: received as /);
    const bounced = await recipient(receipt.id, 'b@dest.test');
    assert.deepEqual([bounced.status, bounced.reason, bounced.bounce_type, bounced.remote_mta], ['bounced', 'userunknown', 'hard', 'store.dest.test']);
    assert.match(String(bounced.diagnostic_code), /5\.1\.1/);
    assert.ok(bounced.reported_at);
    assert.equal((await recipient(receipt.id, 'a@dest.test')).status, 'delivered', 'the other recipient is untouched');
    const deadline = Date.now() + 5000;
    while ((await suppression('b@dest.test')).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await suppression('b@dest.test')).body.reason, 'hard_bounce');
    assert.equal((await suppression('a@dest.test')).status, 404);
  });

  it('marks a recipient complained and suppresses it on an ARF report to abuse@; a vacation reply changes nothing', async () => {
    await setUp();
    const receipt = await send(['a@dest.test']);
    await waitForStatus(server.outpost, receipt.id, allFinal);
    const returnPath = mx.messages[0]!.mailFrom;

    const vacation = ['From: a@dest.test', `To: ${returnPath}`, 'Subject: Out of Office: hello', 'Auto-Submitted: auto-replied', '', 'I am away until Monday.', ''].join('\r\n');
    assert.match(await report(returnPath, vacation), /^250 /);
    assert.equal((await recipient(receipt.id, 'a@dest.test')).status, 'delivered');

    assert.match(await report('abuse@outpost.test', arf(returnPath, 'a@dest.test')), /^250 /);
    const complained = await recipient(receipt.id, 'a@dest.test');
    assert.deepEqual([complained.status, complained.reason, complained.feedback_type], ['complained', 'feedback', 'abuse']);
    const deadline = Date.now() + 5000;
    while ((await suppression('a@dest.test')).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal((await suppression('a@dest.test')).body.reason, 'complaint');
  });

  it('refuses at RCPT a forged return path, an unknown address and a relay attempt; takes postmaster@', async () => {
    await setUp();
    const receipt = await send(['a@dest.test']);
    await waitForStatus(server.outpost, receipt.id, allFinal);
    const returnPath = mx.messages[0]!.mailFrom;
    const forged = returnPath.replace(/\.([a-z2-7]{10})@/, (_, signature: string) => `.${signature.startsWith('a') ? 'b' : 'a'}${signature.slice(1)}@`);

    const client = await RawSmtpClient.connect(server.outpost.addresses().mx!);
    try {
      assert.equal((await client.reply()).code, 220);
      assert.equal((await client.command('EHLO mx.dest.test')).code, 250);
      assert.equal((await client.command('MAIL FROM:<>')).code, 250);
      const forgedReply = await client.command(`RCPT TO:<${forged}>`);
      assert.equal(forgedReply.code, 550);
      assert.match(forgedReply.raw, /5\.1\.1 .*no such return path/);
      const unknown = await client.command('RCPT TO:<someone@bounce.acme.test>');
      assert.equal(unknown.code, 550);
      assert.match(unknown.raw, /5\.7\.1 .*relays nothing/);
      const relay = await client.command('RCPT TO:<victim@elsewhere.test>');
      assert.equal(relay.code, 550);
      assert.match(relay.raw, /5\.7\.1/);
      assert.equal((await client.command('RCPT TO:<abuse@other.test>')).code, 550);
      assert.equal((await client.command('RCPT TO:<postmaster@outpost.test>')).code, 250);
      assert.equal((await client.command('RCPT TO:<postmaster@bounce.acme.test>')).code, 250);
      assert.equal((await client.command(`RCPT TO:<${returnPath}>`)).code, 250);
    } finally {
      client.close();
    }
  });

  it('survives hostile reports: one naming another account\'s recipient, a 1,000-recipient DSN, garbage and a bounce of a bounce change nothing they should not', async () => {
    await setUp();
    const receipt = await send(['a@dest.test']);
    await waitForStatus(server.outpost, receipt.id, allFinal);
    const returnPath = mx.messages[0]!.mailFrom;
    const other = await createAccount(server.outpost, 'other');
    await addVerifiedDomain(server.outpost, dns, other.apiKey, 'other.test');
    const theirs = await server.outpost.submit({ from: 'news@other.test', to: ['victim@dest.test'], raw: rawMessage({ from: 'news@other.test', to: ['victim@dest.test'], subject: 'x' }), source: 'api', accountId: other.id });
    await waitForStatus(server.outpost, theirs.id, allFinal);

    // our return path, their recipient: not ours to touch
    assert.match(await report(returnPath, dsn(returnPath, 'victim@dest.test', '550 5.1.1 user unknown', '5.1.1')), /^250 /);
    // 1,000 recipients, ours among them at the end: only the first ones are read, ours stays as it was
    const many = dsn(returnPath, 'a@dest.test', '550 5.1.1 user unknown', '5.1.1').replace(
      'Final-Recipient: rfc822; a@dest.test',
      Array.from({ length: 1000 }, (_, index) => `Final-Recipient: rfc822; x${index}@dest.test\r\nAction: failed\r\nStatus: 5.1.1\r\n`).join('\r\n') + '\r\nFinal-Recipient: rfc822; a@dest.test',
    );
    assert.match(await report(returnPath, many), /^250 /);
    // garbage bytes and a report that quotes a report
    assert.match(await report(returnPath, `Content-Type: multipart/report; boundary="x"\r\n\r\n--x\r\n${'\u0000\u00ff'.repeat(5000)}`), /^250 /);
    assert.match(await report('postmaster@outpost.test', dsn('postmaster@outpost.test', 'MAILER-DAEMON@mx.dest.test', '550 5.1.1 no such user', '5.1.1')), /^250 /);

    const view = await request<{ recipients: { address: string; status: string }[] }>(server.outpost, 'GET', `/v1/mail/messages/${theirs.id}`, { key: other.apiKey });
    assert.equal(view.body.recipients[0]!.status, 'delivered', 'another account\'s recipient is untouched');
    assert.equal((await recipient(receipt.id, 'a@dest.test')).status, 'delivered');
    assert.equal((await suppression('victim@dest.test')).status, 404);
    assert.equal((await request(server.outpost, 'GET', '/v1/suppressions/victim%40dest.test', { key: other.apiKey })).status, 404);
    // still serving
    const next = await send(['b@dest.test']);
    await waitForStatus(server.outpost, next.id, allFinal);
  });

  it('pauses an account whose hard bounce rate crosses the threshold, refuses its sends with account_paused, and sends again once an admin resumes it', async () => {
    await setUp((address) => (address.startsWith('gone') ? '550 5.1.1 user unknown' : undefined), { OUTPOST_HEALTH_MIN_SENT: '4', OUTPOST_PAUSE_BOUNCE_RATE: '50%' });
    for (const to of ['ok1@dest.test', 'gone1@dest.test', 'ok2@dest.test', 'gone2@dest.test']) {
      await waitForStatus(server.outpost, (await send([to])).id, allFinal);
    }
    const deadline = Date.now() + 5000;
    let health = await request<Record<string, unknown>>(server.outpost, 'GET', '/v1/account/health', { key: account.apiKey });
    while (health.body.status !== 'paused' && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      health = await request<Record<string, unknown>>(server.outpost, 'GET', '/v1/account/health', { key: account.apiKey });
    }
    assert.equal(health.body.status, 'paused', JSON.stringify(health.body));
    assert.equal(health.body.hard_bounces, 2);
    assert.equal(health.body.bounce_rate, 0.5);
    assert.match(String(health.body.paused_reason), /hard bounce rate 50% .* OUTPOST_PAUSE_BOUNCE_RATE/);

    const refused = await request<{ code: string; message: string }>(server.outpost, 'POST', '/v1/mail/send', { key: account.apiKey, json: { from: SENDER, to: ['ok3@dest.test'], subject: 'x', text: 'y' } });
    assert.equal(refused.status, 403);
    assert.equal(refused.body.code, 'account_paused');
    assert.match(refused.body.message, /POST \/v1\/accounts\/.*\/resume/);

    const resumed = await request<{ status: string }>(server.outpost, 'POST', `/v1/accounts/${account.id}/resume`, { key: TEST_ADMIN_KEY });
    assert.equal(resumed.body.status, 'active');
    const sent = await request(server.outpost, 'POST', '/v1/mail/send', { key: account.apiKey, json: { from: SENDER, to: ['ok3@dest.test'], subject: 'x', text: 'y' } });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
  });
});
