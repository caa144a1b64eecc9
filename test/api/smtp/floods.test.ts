/**
 * Connection floods on the submission listeners, from many loopback addresses
 * (Linux routes all of 127/8 to lo): sockets that never start TLS on 465 are
 * counted per address from accept, so they cannot fill the listener for
 * others; connections that never authenticate hold at most their share and
 * make room for newcomers, so a client with a key still gets in and sends; the
 * TLS handshake and AUTH each have a deadline. Also the inbound MX listener:
 * a burst from one address is cut at accept, before it fills the port.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { OutpostConfig } from '../../../config/index.js';
import { allFinal, waitForStatus } from '../../support/outpost.js';
import { RawSmtpClient, splitAddress } from '../../support/smtp-client.js';
import { queuedId, startSubmissionHarness, submissionTransport, type SubmissionHarness } from '../../support/submission.js';

/** Opens `count` TCP connections from `localAddress` at once, and resolves once each is connected or was refused. */
async function rawSockets(address: string, localAddress: string, count: number): Promise<net.Socket[]> {
  const [host, port] = splitAddress(address);
  const sockets = Array.from({ length: count }, () => net.connect({ host, port, localAddress }).on('error', () => undefined));
  await Promise.all(sockets.map((socket) => new Promise((resolve) => socket.once('connect', resolve).once('close', resolve))));
  return sockets;
}

/** Polls `condition` until it holds; fails after `timeoutMs`. */
async function eventually(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `not within ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SMTP submission: connection floods', () => {
  let harness: SubmissionHarness;
  const sockets: net.Socket[] = [];
  const clients: RawSmtpClient[] = [];

  async function start(tune: (config: OutpostConfig) => void): Promise<void> {
    harness = await startSubmissionHarness({ tune });
  }

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    for (const client of clients.splice(0)) client.close();
    await harness?.close();
  });

  /** Sends one message with nodemailer (AUTH with the account's key) and waits for its delivery. */
  async function sendThrough(address: string, implicitTls: boolean, subject: string): Promise<void> {
    const transport = submissionTransport(address, { user: 'x', pass: harness.account.apiKey }, implicitTls);
    try {
      const info = await transport.sendMail({ from: 'news@acme.test', to: 'user@dest.test', subject, text: 'still open' });
      const view = await waitForStatus(harness.server.outpost, queuedId(info.response), allFinal);
      assert.equal(view.recipients[0]!.status, 'delivered');
    } finally {
      transport.close();
    }
  }

  it('keeps taking mail from others while one address holds many sockets that never start TLS on 465', async () => {
    await start((config) => {
      config.submission.maxConnections = 10;
      config.submission.maxConnectionsPerIp = 4;
    });
    // four times the total, as one scanner would open them
    sockets.push(...(await rawSockets(harness.submissionTls, '127.0.0.5', 40)));
    await sendThrough(harness.submissionTls, true, 'over 465 during the flood');
    await sendThrough(harness.submission, false, 'over 587 during the flood');
    // the flood holds no more than its address's share; the rest was closed at accept
    await eventually(() => sockets.filter((socket) => socket.destroyed).length >= 36, 'all but 4 flood sockets closed');
  });

  it('lets a client with a key in and send while ten addresses hold idle unauthenticated connections', async () => {
    await start((config) => {
      config.submission.maxConnections = 20;
      config.submission.maxConnectionsPerIp = 2;
      config.submission.maxUnauthenticated = 10;
    });
    // 2 from each of ten addresses: as many as the total, but only the unauthenticated share stays
    for (let host = 10; host < 20; host++) {
      for (let index = 0; index < 2; index++) {
        const client = await RawSmtpClient.connect(harness.submission, { localAddress: `127.0.0.${host}` });
        clients.push(client);
        await client.reply(2000).catch(() => undefined);
      }
    }
    await sendThrough(harness.submission, false, 'over 587 past the idle ones');
    await sendThrough(harness.submissionTls, true, 'over 465 past the idle ones');
  });

  it('pushes out the oldest unauthenticated connection of the busiest address to make room, never an authenticated one', async () => {
    await start((config) => {
      config.submission.maxConnections = 10;
      config.submission.maxConnectionsPerIp = 3;
      config.submission.maxUnauthenticated = 3;
    });
    const connect = async (localAddress: string): Promise<RawSmtpClient> => {
      const client = await RawSmtpClient.connect(harness.submissionTls, { tls: true, localAddress });
      clients.push(client);
      assert.equal((await client.reply()).code, 220);
      return client;
    };
    const authenticated = await connect('127.0.0.2');
    await authenticated.ehlo();
    assert.equal((await authenticated.authPlain('x', harness.account.apiKey)).code, 235);
    const [oldest, second, third] = [await connect('127.0.0.1'), await connect('127.0.0.1'), await connect('127.0.0.1')];
    const newcomer = await connect('127.0.0.3');
    assert.match((await oldest.reply()).raw, /^421 4\.7\.0 Outpost is at its connection limit and 127\.0\.0\.1 holds the most connections not authenticated yet; its oldest is closed/);
    await oldest.waitForClose();
    // 127.0.0.1 now holds 2 and a newcomer from it would hold as many: refused, nobody pushed out
    await assert.rejects(RawSmtpClient.connect(harness.submissionTls, { tls: true, localAddress: '127.0.0.1' }));
    for (const client of [second!, third!, newcomer, authenticated]) assert.equal((await client.command('NOOP')).code, 250);
  });

  it('closes a socket that does not finish its TLS handshake within OUTPOST_SUBMISSION_HANDSHAKE_TIMEOUT', async () => {
    await start((config) => {
      config.submission.handshakeTimeoutMs = 300;
    });
    const started = Date.now();
    const [silent] = await rawSockets(harness.submissionTls, '127.0.0.1', 1);
    sockets.push(silent!);
    await eventually(() => silent!.destroyed || silent!.readableEnded, 'the silent socket closed', 3000);
    assert.ok(Date.now() - started >= 250, `closed after ${Date.now() - started} ms`);
  });

  it('closes a session that has not authenticated within OUTPOST_SUBMISSION_AUTH_TIMEOUT (421 4.4.2), not one that has', async () => {
    await start((config) => {
      config.submission.authTimeoutMs = 1000;
    });
    const started = Date.now();
    const idle = await RawSmtpClient.connect(harness.submissionTls, { tls: true });
    const active = await RawSmtpClient.connect(harness.submissionTls, { tls: true });
    clients.push(idle, active);
    assert.equal((await idle.reply()).code, 220);
    assert.equal((await active.reply()).code, 220);
    await idle.ehlo();
    await active.ehlo();
    assert.equal((await active.authPlain('x', harness.account.apiKey)).code, 235);
    assert.match((await idle.reply(3000)).raw, /^421 4\.4\.2 no successful AUTH within 1 s/);
    assert.ok(Date.now() - started >= 900, `closed after ${Date.now() - started} ms`);
    await idle.waitForClose();
    assert.equal((await active.command('NOOP')).code, 250);
  });

  it('lets an AUTH still being checked when the AUTH deadline passes finish, and closes after its answer', async () => {
    await start((config) => {
      config.submission.authTimeoutMs = 1000;
      Object.assign(config.submission.authThrottle, { freeFailures: 0, delayMs: 1500, maxDelayMs: 1500 });
    });
    const client = await RawSmtpClient.connect(harness.submissionTls, { tls: true });
    clients.push(client);
    assert.equal((await client.reply()).code, 220);
    await client.ehlo();
    // the failure is answered after 1.5 s, past the deadline: its 535 comes first, then the 421
    assert.match((await client.authPlain('x', 'not-a-key')).raw, /^535 /);
    assert.match((await client.reply(3000)).raw, /^421 4\.4\.2 no successful AUTH within 1 s/);
    await client.waitForClose();
  });
});

describe('inbound MX: connection floods', () => {
  let harness: SubmissionHarness;
  const sockets: net.Socket[] = [];

  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.destroy();
    await harness?.close();
  });

  it('refuses a burst from one address at accept, so it does not fill the port for another', async () => {
    harness = await startSubmissionHarness({
      tune: (config) => {
        config.mx.maxConnections = 5;
        config.mx.maxConnectionsPerIp = 2;
      },
    });
    const mx = harness.server.outpost.addresses().mx!;
    const [host, port] = splitAddress(mx);
    // the other address connects in the middle of the burst, so it is accepted while the burst is
    const burst = (count: number) => Array.from({ length: count }, () => net.connect({ host, port, localAddress: '127.0.0.5' }).on('error', () => undefined));
    sockets.push(...burst(30));
    const other = RawSmtpClient.connect(mx, { localAddress: '127.0.0.6' });
    sockets.push(...burst(30));
    const client = await other;
    try {
      assert.match((await client.reply()).raw, /^220 /);
      assert.equal((await client.command('EHLO reporter.test')).code, 250);
    } finally {
      client.close();
    }
  });
});
