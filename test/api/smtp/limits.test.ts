/**
 * The submission listeners' limits: a 20 MB message streamed with bounded
 * memory, SIZE, line length and header size enforced at DATA, connection
 * limits per address and in total, the send rate limit shared with REST, and the idle, command and transaction
 * timeouts against slow clients.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { OutpostConfig } from '../../../config/index.js';
import { request } from '../../support/http.js';
import { allFinal, waitForStatus } from '../../support/outpost.js';
import { RawSmtpClient, type SmtpReply } from '../../support/smtp-client.js';
import { queuedId, startSubmissionHarness, submissionTransport, type SubmissionHarness } from '../../support/submission.js';

const MB = 1024 * 1024;

/** A message of about `bytes` streamed in 64 KiB chunks of 76-character lines, never whole in memory. */
function largeMessage(bytes: number): Readable {
  const line = `${'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo'.repeat(3).slice(0, 76)}\r\n`;
  const chunk = Buffer.from(line.repeat(Math.floor((64 * 1024) / line.length)));
  let sent = 0;
  let headerSent = false;
  return new Readable({
    read() {
      if (!headerSent) {
        headerSent = true;
        this.push(Buffer.from('From: news@acme.test\r\nTo: user@dest.test\r\nSubject: large\r\nMIME-Version: 1.0\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n'));
        return;
      }
      if (sent >= bytes) return void this.push(null);
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

describe('SMTP submission: limits', () => {
  let harness: SubmissionHarness;
  const clients: RawSmtpClient[] = [];

  async function start(tune: (config: OutpostConfig) => void = () => undefined): Promise<void> {
    harness = await startSubmissionHarness({ tune });
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await harness?.close();
  });

  async function connect(options: { localAddress?: string; greeting?: boolean } = {}): Promise<RawSmtpClient> {
    const client = await RawSmtpClient.connect(harness.submissionTls, { tls: true, ...options });
    clients.push(client);
    if (options.greeting !== false) assert.equal((await client.reply()).code, 220);
    return client;
  }

  async function authenticated(): Promise<RawSmtpClient> {
    const client = await connect();
    await client.ehlo();
    assert.equal((await client.authPlain('x', harness.account.apiKey)).code, 235);
    return client;
  }

  /** Sends a whole message in DATA and returns the reply to the final dot. */
  async function sendData(client: RawSmtpClient, message: string): Promise<SmtpReply> {
    assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^250 /);
    assert.match((await client.command('RCPT TO:<user@dest.test>')).raw, /^250 /);
    assert.equal((await client.command('DATA')).code, 354);
    client.write(`${message}\r\n.\r\n`);
    return client.reply();
  }

  it('streams a 20 MB message with memory bounded by a small multiple of its size', async function () {
    this.timeout(60_000);
    await start();
    const size = 20 * MB;
    const transport = submissionTransport(harness.submission, { user: 'x', pass: harness.account.apiKey });
    const used = () => {
      const memory = process.memoryUsage();
      return memory.heapUsed + memory.arrayBuffers;
    };
    const baseline = used();
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, used())), 2);
    let info;
    try {
      info = await transport.sendMail({ envelope: { from: 'news@acme.test', to: ['user@dest.test'] }, raw: largeMessage(size) });
    } finally {
      clearInterval(sampler);
      transport.close();
    }
    const growth = peak - baseline;
    // The pipeline takes the message as one Buffer and copies it while signing and queueing,
    // so a few copies are expected; a message held as text, or per chunk, would be far above this.
    assert.ok(growth < 6 * size, `memory grew by ${(growth / MB).toFixed(0)} MB for a ${size / MB} MB message`);
    const view = await waitForStatus(harness.server.outpost, queuedId(info.response), allFinal, 30_000);
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.ok(view.size > size, `stored size ${view.size}`);
    const [delivered] = await harness.mx.waitForMessages(1);
    assert.ok(delivered!.raw.length > size);
  });

  it('refuses at DATA a message over SIZE (552 5.3.4), a line over 998 bytes and a header block over the limit', async () => {
    await start((config) => {
      config.spool.maxMessageBytes = 64 * 1024;
      config.submission.maxHeaderBytes = 2048;
    });
    const client = await authenticated();
    const head = 'From: news@acme.test\r\nTo: user@dest.test\r\nSubject: limits\r\n';
    assert.match((await sendData(client, `${head}\r\n${'x'.repeat(100)}\r\n`.repeat(1) + `${'y'.repeat(900)}\r\n`.repeat(80))).raw, /^552 5\.3\.4 the message is larger than 65536 bytes/);
    assert.match((await sendData(client, `${head}\r\n${'z'.repeat(999)}`)).raw, /^550 5\.6\.0 a line of the message is longer than 998 bytes/);
    assert.match((await sendData(client, `${head}${'X-Filler: abc\r\n'.repeat(200)}\r\nbody`)).raw, /^552 5\.3\.4 a header block of the message is larger than 2048 bytes/);
    // the session is still usable, and nothing was queued
    assert.match((await sendData(client, `${head}\r\nsmall`)).raw, /^250 2\.6\.0 /);
    const listed = await request<{ items: unknown[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
    assert.equal(listed.body.items.length, 1);
  });

  it('queues nothing from a client that leaves in the middle of DATA, and keeps serving others', async () => {
    await start();
    const leaving = await authenticated();
    assert.match((await leaving.command('MAIL FROM:<news@acme.test>')).raw, /^250 /);
    assert.match((await leaving.command('RCPT TO:<user@dest.test>')).raw, /^250 /);
    assert.equal((await leaving.command('DATA')).code, 354);
    leaving.write(`From: news@acme.test\r\nTo: user@dest.test\r\nSubject: cut short\r\n\r\n${'half a body\r\n'.repeat(2000)}`);
    leaving.socket.destroy();

    const client = await authenticated();
    assert.match((await sendData(client, 'From: news@acme.test\r\nTo: user@dest.test\r\nSubject: whole\r\n\r\nbody')).raw, /^250 2\.6\.0 /);
    const listed = await request<{ items: { subject: string }[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
    assert.deepEqual(listed.body.items.map((item) => item.subject), ['whole']);
  });

  it('counts each transaction against the account\'s send rate limit, together with REST sends (451 4.7.1 past it)', async () => {
    await start((config) => Object.assign(config.api.rateLimit, { requests: 3, windowMs: 3_600_000 }));
    const client = await authenticated();
    for (let index = 0; index < 2; index++) {
      assert.equal((await client.command('MAIL FROM:<news@acme.test>')).code, 250);
      assert.equal((await client.command('RSET')).code, 250);
    }
    const rest = await request(harness.server.outpost, 'POST', '/v1/mail/send', {
      key: harness.account.apiKey,
      json: { from: 'news@acme.test', to: ['user@dest.test'], subject: 'rest', text: 'hi', test_mode: true },
    });
    assert.equal(rest.status, 200, JSON.stringify(rest.body));
    const limited = await client.command('MAIL FROM:<news@acme.test>');
    assert.match(limited.raw, /^451 4\.7\.1 more than 3 sends in 3600 s \(OUTPOST_API_RATE_LIMIT.*REST and SMTP counted together.*retry after \d+ s/);
    const restLimited = await request<{ code: string }>(harness.server.outpost, 'POST', '/v1/mail/send', {
      key: harness.account.apiKey,
      json: { from: 'news@acme.test', to: ['user@dest.test'], subject: 'rest', text: 'hi', test_mode: true },
    });
    assert.equal(restLimited.status, 429);
    assert.equal(restLimited.body.code, 'rate_limited');
  });

  it('limits connections per client address and in total from accept: 421 4.7.0 on 587, closed before TLS on 465', async () => {
    await start((config) => {
      config.submission.maxConnectionsPerIp = 2;
      config.submission.maxConnections = 3;
    });
    // authenticated, so no newcomer may push them out to make room (floods.test.ts)
    await authenticated();
    await authenticated();
    const clear = await RawSmtpClient.connect(harness.submission);
    clients.push(clear);
    assert.match((await clear.reply()).raw, /^421 4\.7\.0 too many connections from 127\.0\.0\.1 \(at most 2\)/);
    await clear.waitForClose();
    // on 465 nothing can be said before TLS: the socket is closed without a handshake
    await assert.rejects(RawSmtpClient.connect(harness.submissionTls, { tls: true }));
    const third = await RawSmtpClient.connect(harness.submissionTls, { tls: true, localAddress: '127.0.0.2' });
    clients.push(third);
    assert.equal((await third.reply()).code, 220);
    await third.ehlo();
    assert.equal((await third.authPlain('x', harness.account.apiKey)).code, 235);
    const fourth = await RawSmtpClient.connect(harness.submission, { localAddress: '127.0.0.3' });
    clients.push(fourth);
    assert.match((await fourth.reply()).raw, /^421 4\.7\.0 Outpost has 3 submission connections open/);
    // a place frees up when a client leaves
    clients[0]!.close();
    const deadline = Date.now() + 5000;
    for (;;) {
      const retry = await RawSmtpClient.connect(harness.submission, { localAddress: '127.0.0.3' });
      clients.push(retry);
      const reply = await retry.reply();
      if (reply.code === 220) break;
      assert.ok(Date.now() < deadline, `still refused: ${reply.raw}`);
    }
  });

  it('closes an idle connection with 421 4.4.2 (idle timeout)', async () => {
    await start((config) => {
      config.submission.idleTimeoutMs = 300;
    });
    const client = await connect();
    assert.match((await client.reply(3000)).raw, /^421 4\.4\.2 /);
    await client.waitForClose();
  });

  it('closes a connection that trickles a command byte by byte (command timeout)', async () => {
    await start((config) => {
      config.submission.commandTimeoutMs = 400;
    });
    const client = await connect();
    const started = Date.now();
    // one byte every 50 ms keeps the idle timer (60 s) happy, but the line never completes in time
    const trickle = setInterval(() => client.write('N'), 50);
    try {
      const reply = await client.reply(5000);
      assert.match(reply.raw, /^421 4\.4\.2 no complete command within/);
      assert.ok(Date.now() - started >= 350, `closed after ${Date.now() - started} ms`);
    } finally {
      clearInterval(trickle);
    }
    await client.waitForClose();
  });

  it('closes a transaction that takes too long, even with data flowing (transaction timeout), and queues nothing', async () => {
    await start((config) => {
      config.submission.transactionTimeoutMs = 500;
    });
    const client = await authenticated();
    assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^250 /);
    assert.match((await client.command('RCPT TO:<user@dest.test>')).raw, /^250 /);
    assert.equal((await client.command('DATA')).code, 354);
    client.write('From: news@acme.test\r\nSubject: slow\r\n\r\n');
    const trickle = setInterval(() => client.write('another line\r\n'), 40);
    try {
      assert.match((await client.reply(5000)).raw, /^421 4\.4\.2 the mail transaction took longer than/);
    } finally {
      clearInterval(trickle);
    }
    await client.waitForClose();
    const listed = await request<{ items: unknown[] }>(harness.server.outpost, 'GET', '/v1/mail/messages', { key: harness.account.apiKey });
    assert.deepEqual(listed.body.items, []);
  });

  it('cuts off a client that keeps sending commands without AUTH', async () => {
    await start((config) => {
      config.submission.maxUnauthenticatedCommands = 5;
    });
    const client = await connect();
    for (let i = 0; i < 5; i++) assert.equal((await client.command('NOOP')).code, 250);
    assert.match((await client.command('NOOP')).raw, /^421 4\.7\.0 5 commands without a successful AUTH/);
    await client.waitForClose();
  });
});
