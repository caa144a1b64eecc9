/**
 * `outpost demo`, step by step, through the same doors a user has: with the
 * client library, an account (admin key) and a sending domain whose records go
 * into the demo's DNS and verify; one message through REST, one through SMTP
 * submission (STARTTLS, AUTH with the API key); both followed until delivered;
 * the delivered copies checked as a receiver would (DKIM, SPF, DMARC). Then
 * the commands to go on by hand. Nothing here is faked: what passes here
 * passes the same code a real setup runs.
 */
import { createTransport } from 'nodemailer';
import { Outpost, type Message } from '../../api/client/index.js';
import { authenticateCopy, type CopyAuthentication } from './authentication.js';
import { DEMO_NAMES, LOOPBACK, type DemoWorld } from './demo-setup.js';

export interface DemoSend {
  via: 'REST' | 'SMTP';
  id: string;
  recipient: string;
  subject: string;
  message: Message;
  authentication: CopyAuthentication | undefined;
}

export interface DemoReport {
  url: string;
  accountId: string;
  apiKey: string;
  domain: string;
  sends: DemoSend[];
}

/** How long the demo waits for its two messages to be delivered (they take well under a second). */
const DELIVERY_TIMEOUT_MS = 30_000;

export async function runDemo(world: DemoWorld, say: (line: string) => void): Promise<DemoReport> {
  const admin = new Outpost({ url: world.url, adminKey: world.adminKey });
  const account = await admin.accounts.create('demo');
  say(`1. account "${account.name}" created (id ${account.id}); its API key is also the SMTP password`);

  const client = new Outpost({ url: world.url, key: account.api_key });
  const domain = await client.domains.add(DEMO_NAMES.senderDomain);
  for (const record of domain.dns_records) world.dns.publish(record);
  const verified = await client.domains.verify(DEMO_NAMES.senderDomain);
  if (verified.status !== 'verified') {
    throw new Error(`the demo domain did not verify: ${JSON.stringify(verified.dns_records.filter((record) => record.status !== 'ok'))}`);
  }
  say(`2. domain ${verified.domain} added; its ${verified.dns_records.length} records (SPF, DKIM, DMARC, return path) published in the demo DNS; verified`);

  const from = `hello@${DEMO_NAMES.senderDomain}`;
  const restRecipient = `alice@${DEMO_NAMES.recipientDomain}`;
  const restSubject = 'Hello from the Outpost demo (REST)';
  const receipt = await client.mail.send({
    from,
    from_name: 'Outpost demo',
    to: [restRecipient],
    subject: restSubject,
    text: 'Sent with client.mail.send through POST /v1/mail/send.\n',
    html: '<p>Sent with <code>client.mail.send</code> through <code>POST /v1/mail/send</code>.</p>',
    tags: ['demo'],
    attachments: [{ content: Buffer.from('An attachment, uploaded as a multipart file part.\n'), filename: 'hello.txt' }],
  });
  say(`3. sent through REST (POST /v1/mail/send): message ${receipt.id}`);

  const smtpRecipient = `bob@${DEMO_NAMES.recipientDomain}`;
  const smtpSubject = 'Hello from the Outpost demo (SMTP)';
  const smtpId = await sendOverSubmission(world.submissionAddress, { user: account.id, pass: account.api_key }, { from, to: smtpRecipient, subject: smtpSubject });
  say(`4. sent through SMTP submission (STARTTLS, AUTH PLAIN): message ${smtpId}`);

  const sends: DemoSend[] = [];
  for (const [via, id, recipient, subject] of [['REST', receipt.id, restRecipient, restSubject], ['SMTP', smtpId, smtpRecipient, smtpSubject]] as const) {
    let message: Message | undefined;
    for await (const seen of client.mail.messages.watch(id, { intervalMs: 100, timeoutMs: DELIVERY_TIMEOUT_MS })) message = seen;
    const copy = world.catchAll.copies.find((delivered) => delivered.rcptTo.includes(recipient));
    const authentication = copy
      ? await authenticateCopy(copy, { dnsAddress: world.dns.address, clientIp: LOOPBACK, helo: DEMO_NAMES.outpostHost, mta: DEMO_NAMES.recipientMx })
      : undefined;
    sends.push({ via, id, recipient, subject, message: message!, authentication });
  }
  return { url: world.url, accountId: account.id, apiKey: account.api_key, domain: verified.domain, sends };
}

/** Sends one message the way a legacy app would; resolves with Outpost's message id from the 250 reply. */
async function sendOverSubmission(address: string, auth: { user: string; pass: string }, mail: { from: string; to: string; subject: string }): Promise<string> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const transport = createTransport({
    host,
    port,
    secure: false,
    requireTLS: true,
    // the demo's Outpost has a generated self-signed certificate
    tls: { rejectUnauthorized: false },
    auth,
  });
  try {
    const info = await transport.sendMail({
      from: `Outpost demo <${mail.from}>`,
      to: mail.to,
      subject: mail.subject,
      text: 'Sent through SMTP submission with nodemailer (587 with STARTTLS, AUTH with the API key).\n',
      headers: { 'X-Outpost-Tags': 'demo' },
    });
    const id = /queued as ([0-9a-z]+)/.exec(info.response)?.[1];
    if (!id) throw new Error(`no message id in the submission reply ${JSON.stringify(info.response)}`);
    return id;
  } finally {
    transport.close();
  }
}
