/**
 * The submission listeners at the protocol level, with raw sockets: what is
 * offered before and after TLS, 538/530 before AUTH, every classic open-relay
 * address form refused (530 without AUTH, 553 with it), STARTTLS buffer
 * injection, TLS versions, SIZE.
 */
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { RawSmtpClient, splitAddress } from '../../support/smtp-client.js';
import { startSubmissionHarness, type SubmissionHarness } from '../../support/submission.js';

const RELAY_FORMS = [
  { name: 'percent hack', path: 'x%dest.test@outpost.test', form: /the percent hack/ },
  { name: 'source route', path: '@relay.test:x@dest.test', form: /a source route/ },
  { name: 'bang path', path: 'dest.test!x', form: /a bang path/ },
  { name: 'bang path with a domain', path: 'dest.test!x@outpost.test', form: /a bang path/ },
  { name: 'quoted local part', path: '"x@dest.test"@outpost.test', form: /a quoted local part/ },
];

describe('SMTP submission: protocol', () => {
  let harness: SubmissionHarness;
  const clients: RawSmtpClient[] = [];

  before(async () => {
    harness = await startSubmissionHarness();
  });

  after(async () => {
    await harness?.close();
  });

  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
  });

  async function connect(address = harness.submission, options: { tls?: boolean } = {}): Promise<RawSmtpClient> {
    const client = await RawSmtpClient.connect(address, options);
    clients.push(client);
    const greeting = await client.reply();
    assert.equal(greeting.code, 220, greeting.raw);
    return client;
  }

  /** A session on 587 after STARTTLS and EHLO, not authenticated. */
  async function secured(): Promise<RawSmtpClient> {
    const client = await connect();
    await client.ehlo();
    await client.startTls();
    await client.ehlo();
    return client;
  }

  async function authenticated(): Promise<RawSmtpClient> {
    const client = await secured();
    const reply = await client.authPlain(harness.account.id, harness.account.apiKey);
    assert.equal(reply.code, 235, reply.raw);
    return client;
  }

  it('answers pipelined commands (RFC 2920) in one TLS record, and commands sent alone each in their own', async () => {
    const client = await authenticated();
    client.chunks.length = 0;
    client.write('MAIL FROM:<news@acme.test>\r\nRCPT TO:<rcpt@dest.test>\r\nDATA\r\n');
    const replies = [await client.reply(), await client.reply(), await client.reply()];
    assert.deepEqual(replies.map((reply) => reply.code), [250, 250, 354]);
    assert.equal(client.chunks.length, 1, `the three replies came in ${client.chunks.length} records: ${JSON.stringify(client.chunks)}`);
    client.chunks.length = 0;
    const delivered = harness.mx.messages.length;
    client.write('From: <news@acme.test>\r\nTo: <rcpt@dest.test>\r\nSubject: pipelined\r\n\r\nhello\r\n.\r\n');
    assert.match((await client.reply()).raw, /^250 /);
    assert.equal((await client.command('RSET')).code, 250);
    assert.equal(client.chunks.length, 2, 'the 250 for the message and the one for RSET are records of their own');
    await harness.mx.waitForMessages(delivered + 1); // delivered now, not during a later test that counts deliveries
    // replies held for coalescing still leave before the connection closes
    client.write('NOOP\r\nQUIT\r\n');
    assert.deepEqual([(await client.reply()).code, (await client.reply()).code], [250, 221]);
    await client.waitForClose();
  });

  it('offers STARTTLS but not AUTH in clear, and AUTH PLAIN LOGIN (no STARTTLS) after it', async () => {
    const client = await connect();
    const clear = await client.ehlo();
    assert.ok(clear.includes('STARTTLS'), clear.join(' | '));
    assert.ok(!clear.some((line) => line.startsWith('AUTH')), clear.join(' | '));
    for (const extension of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'ENHANCEDSTATUSCODES', 'SIZE 31457280']) {
      assert.ok(clear.includes(extension), `${extension} in ${clear.join(' | ')}`);
    }
    await client.startTls();
    const secure = await client.ehlo();
    assert.ok(secure.some((line) => /^AUTH (PLAIN LOGIN|LOGIN PLAIN)$/.test(line)), secure.join(' | '));
    assert.ok(!secure.includes('STARTTLS'));
  });

  it('offers AUTH at once on the implicit TLS listener, and no STARTTLS there', async () => {
    const client = await connect(harness.submissionTls, { tls: true });
    const lines = await client.ehlo();
    assert.ok(lines.some((line) => line.startsWith('AUTH ')), lines.join(' | '));
    assert.ok(!lines.includes('STARTTLS'));
  });

  it('answers AUTH before STARTTLS with 538 5.7.11', async () => {
    const client = await connect();
    await client.ehlo();
    const reply = await client.authPlain(harness.account.id, harness.account.apiKey);
    assert.match(reply.raw, /^538 5\.7\.11 /);
    // and the key did not authenticate anything
    assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^530 5\.7\.0 /);
  });

  it('answers MAIL and RCPT without AUTH with 530 5.7.0, in clear and over TLS, for every relay form too', async () => {
    const deliveredBefore = harness.mx.messages.length;
    const clear = await connect();
    await clear.ehlo();
    assert.match((await clear.command('MAIL FROM:<news@acme.test>')).raw, /^530 5\.7\.0 authentication required/);
    assert.match((await clear.command('RCPT TO:<user@dest.test>')).raw, /^530 5\.7\.0 /);
    assert.match((await clear.command('DATA')).raw, /^530 5\.7\.0 /);

    const client = await secured();
    assert.match((await client.command('MAIL FROM:<>')).raw, /^530 5\.7\.0 /);
    assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^530 5\.7\.0 /);
    for (const { path } of RELAY_FORMS) {
      assert.match((await client.command(`RCPT TO:<${path}>`)).raw, /^530 5\.7\.0 /, path);
    }
    assert.equal(harness.mx.messages.length, deliveredBefore);
  });

  for (const { name, path, form } of RELAY_FORMS) {
    it(`refuses a ${name} (<${path}>) with 553 even after AUTH`, async () => {
      const client = await authenticated();
      assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^250 /);
      const reply = await client.command(`RCPT TO:<${path}>`);
      assert.match(reply.raw, /^553 5\.1\.3 /);
      assert.match(reply.raw, form);
      // the transaction goes on with a plain address
      assert.match((await client.command('RCPT TO:<user@dest.test>')).raw, /^250 /);
    });
  }

  it('refuses relay forms and the null sender in MAIL FROM with 553 5.1.7', async () => {
    const client = await authenticated();
    assert.match((await client.command('MAIL FROM:<@relay.test:news@acme.test>')).raw, /^553 5\.1\.7 .*a source route/);
    assert.match((await client.command('MAIL FROM:<news%acme.test@acme.test>')).raw, /^553 5\.1\.7 .*percent hack/);
    assert.match((await client.command('MAIL FROM:<>')).raw, /^553 5\.1\.7 the null sender/);
    assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^250 /);
  });

  it('discards commands sent behind STARTTLS in the same write: the TLS session starts unauthenticated', async () => {
    const client = await connect();
    await client.ehlo();
    const token = Buffer.from(`\0${harness.account.id}\0${harness.account.apiKey}`).toString('base64');
    client.write(`STARTTLS\r\nAUTH PLAIN ${token}\r\nMAIL FROM:<news@acme.test>\r\n`);
    const ready = await client.reply();
    assert.equal(ready.code, 220, ready.raw);
    await client.upgradeToTls();
    // the first reply inside TLS answers our NOOP, not an injected command
    assert.match((await client.command('NOOP')).raw, /^250 /);
    assert.equal(client.pendingReplies, 0);
    const lines = await client.ehlo();
    assert.ok(lines.some((line) => line.startsWith('AUTH ')), 'AUTH is offered again: the session is not authenticated');
    assert.match((await client.command('MAIL FROM:<news@acme.test>')).raw, /^530 5\.7\.0 /);
  });

  it('discards a partial line sent behind STARTTLS', async () => {
    const client = await connect();
    await client.ehlo();
    client.write('STARTTLS\r\nMAIL FROM:<news@acme');
    assert.equal((await client.reply()).code, 220);
    await client.upgradeToTls();
    // were the partial line kept, this would read "MAIL FROM:<news@acmeNOOP"
    assert.match((await client.command('NOOP')).raw, /^250 /);
  });

  it('speaks TLS 1.2 and 1.3 and refuses TLS 1.1', async () => {
    const [host, port] = splitAddress(harness.submissionTls);
    const handshake = (options: tls.ConnectionOptions) =>
      new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ host, port, rejectUnauthorized: false, ...options }, () => {
          resolve(socket.getProtocol() ?? '');
          socket.destroy();
        });
        socket.once('error', reject);
      });
    assert.equal(await handshake({ minVersion: 'TLSv1.3' }), 'TLSv1.3');
    assert.equal(await handshake({ maxVersion: 'TLSv1.2' }), 'TLSv1.2');
    // the client lowers its own security level so that the refusal is the server's
    await assert.rejects(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), /alert protocol version/i);
  });

  it('announces SIZE and refuses a MAIL FROM whose SIZE is larger with 552', async () => {
    const client = await authenticated();
    const reply = await client.command(`MAIL FROM:<news@acme.test> SIZE=${31457280 + 1}`);
    assert.match(reply.raw, /^552 5\.3\.4 /);
    assert.match((await client.command('MAIL FROM:<news@acme.test> SIZE=1000 BODY=8BITMIME SMTPUTF8')).raw, /^250 /);
  });
});
