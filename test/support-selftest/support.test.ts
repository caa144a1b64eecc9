// Proves the test servers in test/support behave as the delivery tests assume:
// every check goes through a real client (Node's resolver, nodemailer's
// SMTPConnection, or a raw socket), never through the helpers' internals.

import assert from 'node:assert/strict';
import { promises as dns } from 'node:dns';
import net from 'node:net';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPConnectionOptions, SMTPConnectionSendInfo, SMTPEnvelope } from 'nodemailer/lib/smtp-connection';
import { startDnsServer } from '../support/dns-server.js';
import type { TestDnsServer } from '../support/dns-server.js';
import { startLenientMx } from '../support/lenient-mx.js';
import type { LenientMx } from '../support/lenient-mx.js';
import { parseScriptedReply, startMxServer } from '../support/mx-server.js';
import type { TestMxServer } from '../support/mx-server.js';

const LOOPBACK = '127.0.0.1';

type NodemailerError = Error & { code?: string; response?: string; responseCode?: number; rejectedErrors?: NodemailerError[] };

function resolverFor(server: TestDnsServer): dns.Resolver {
  // Short timeout and no retries: a broken test server should fail a test fast, not after c-ares' default backoff.
  const resolver = new dns.Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([server.address]);
  return resolver;
}

async function dnsErrorCode(lookup: Promise<unknown>): Promise<string | undefined> {
  try {
    await lookup;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code;
  }
  assert.fail('expected the lookup to fail');
}

function connectSmtp(port: number, options: SMTPConnectionOptions = {}): Promise<SMTPConnection> {
  return new Promise((resolve, reject) => {
    const connection = new SMTPConnection({ host: LOOPBACK, port, socketCloseTimeout: 0, ...options });
    connection.once('error', reject);
    connection.connect(() => {
      connection.off('error', reject);
      // Later connection errors (a dropped socket) also reach the send callback; this only stops them from being thrown.
      connection.on('error', () => {});
      resolve(connection);
    });
  });
}

function sendSmtp(connection: SMTPConnection, envelope: SMTPEnvelope, message: string): Promise<SMTPConnectionSendInfo> {
  return new Promise((resolve, reject) => {
    connection.send(envelope, message, (error, info) => (error ? reject(error) : resolve(info)));
  });
}

async function deliverOnce(port: number, envelope: SMTPEnvelope, message: string, options: SMTPConnectionOptions = {}): Promise<SMTPConnectionSendInfo> {
  const connection = await connectSmtp(port, options);
  try {
    return await sendSmtp(connection, envelope, message);
  } finally {
    connection.close();
  }
}

async function expectSmtpFailure(attempt: Promise<unknown>): Promise<NodemailerError> {
  try {
    await attempt;
  } catch (error) {
    return error as NodemailerError;
  }
  assert.fail('expected the SMTP attempt to fail');
}

/** A bare socket that collects everything the server says, for checks below the client-library level. */
class RawSmtpClient {
  received = '';
  /** Settles when the server (or close()) ends the connection. */
  readonly closed: Promise<void>;
  private readonly socket: net.Socket;
  private readonly listeners = new Set<() => void>();

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
    // A reset from the server is an expected outcome in these tests, not a crash.
    socket.on('error', () => {});
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      this.received += text;
      for (const listener of this.listeners) listener();
    });
  }

  static connect(port: number): Promise<RawSmtpClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, LOOPBACK, () => resolve(new RawSmtpClient(socket)));
      socket.once('error', reject);
    });
  }

  write(text: string): void {
    this.socket.write(text);
  }

  /** Waits until the whole conversation so far matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs = 3000): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!pattern.test(this.received)) return;
        cleanUp();
        resolve(this.received);
      };
      const timer = setTimeout(() => {
        cleanUp();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; server said: ${JSON.stringify(this.received)}`));
      }, timeoutMs);
      const cleanUp = () => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

describe('test support servers', () => {
  describe('startDnsServer', () => {
    let server: TestDnsServer;
    const longTxt = `v=DKIM1; k=rsa; p=${'A'.repeat(400)}`;
    const hugeTxt = 'x'.repeat(3000); // beyond any UDP payload size, so c-ares must retry over TCP

    before(async () => {
      server = await startDnsServer({
        'Example.TEST.': {
          MX: [
            { exchange: 'mx1.example.test', priority: 10 },
            { exchange: 'mx2.example.test', priority: 20 },
          ],
          A: ['192.0.2.10'],
          AAAA: ['2001:db8::10'],
          TXT: ['v=spf1 -all', longTxt],
        },
        'nullmx.test': { MX: [{ exchange: '', priority: 0 }] },
        'huge.test': { TXT: [hugeTxt] },
      });
    });
    after(() => server.close());

    it('listens on one loopback port for OUTPOST_DNS_SERVERS', () => {
      assert.equal(server.address, `127.0.0.1:${server.port}`);
      assert.ok(server.port > 0);
    });

    it('answers MX, A, AAAA case-insensitively', async () => {
      const resolver = resolverFor(server);
      const mx = await resolver.resolveMx('EXAMPLE.test');
      assert.deepEqual(
        mx.sort((a, b) => a.priority - b.priority),
        [
          { exchange: 'mx1.example.test', priority: 10 },
          { exchange: 'mx2.example.test', priority: 20 },
        ],
      );
      assert.deepEqual(await resolver.resolve4('example.test'), ['192.0.2.10']);
      assert.deepEqual(await resolver.resolve6('example.test'), ['2001:db8::10']);
    });

    it('answers a null MX as exchange ""', async () => {
      assert.deepEqual(await resolverFor(server).resolveMx('nullmx.test'), [{ exchange: '', priority: 0 }]);
    });

    it('splits TXT records over 255 bytes into character-strings', async () => {
      const txt = await resolverFor(server).resolveTxt('example.test');
      const joined = txt.map((strings) => strings.join('')).sort();
      assert.deepEqual(joined, [longTxt, 'v=spf1 -all'].sort());
      const longRecord = txt.find((strings) => strings.join('') === longTxt);
      assert.deepEqual(longRecord?.map((part) => part.length), [255, longTxt.length - 255]);
    });

    it('serves truncated answers again over TCP on the same port', async () => {
      const before = server.queries.filter((query) => query.name === 'huge.test').length;
      const txt = await resolverFor(server).resolveTxt('huge.test');
      assert.equal(txt[0]?.join(''), hugeTxt);
      // One question over UDP (answered with TC=1), the same question again over TCP.
      assert.equal(server.queries.filter((query) => query.name === 'huge.test').length - before, 2);
    });

    it('answers NXDOMAIN (ENOTFOUND) for unknown names', async () => {
      assert.equal(await dnsErrorCode(resolverFor(server).resolveMx('nowhere.test')), 'ENOTFOUND');
    });

    it('answers NODATA (ENODATA) for a known name without that record type', async () => {
      const resolver = resolverFor(server);
      assert.equal(await dnsErrorCode(resolver.resolve4('nullmx.test')), 'ENODATA');
      assert.equal(await dnsErrorCode(resolver.resolveTxt('nullmx.test')), 'ENODATA');
    });

    it('applies zone changes to the next query and records questions', async () => {
      const resolver = resolverFor(server);
      server.set('Changing.test', { A: ['192.0.2.1'] });
      assert.deepEqual(await resolver.resolve4('changing.test'), ['192.0.2.1']);
      server.set('changing.test.', { A: ['192.0.2.2'] });
      assert.deepEqual(await resolver.resolve4('changing.test'), ['192.0.2.2']);
      server.zone['direct.test'] = { A: ['192.0.2.3'] };
      assert.deepEqual(await resolver.resolve4('DIRECT.test'), ['192.0.2.3']);
      server.delete('CHANGING.test');
      assert.equal(await dnsErrorCode(resolver.resolve4('changing.test')), 'ENOTFOUND');
      assert.deepEqual(server.queries.slice(-2), [
        { name: 'direct.test', type: 'A' },
        { name: 'changing.test', type: 'A' },
      ]);
    });
  });

  describe('startMxServer', () => {
    const servers: TestMxServer[] = [];
    async function mx(...args: Parameters<typeof startMxServer>): Promise<TestMxServer> {
      const server = await startMxServer(...args);
      servers.push(server);
      return server;
    }
    afterEach(async () => {
      await Promise.all(servers.splice(0).map((server) => server.close()));
    });

    const message = 'From: a@sender.test\r\nTo: b@example.test\r\nSubject: hello\r\n\r\nbody line\r\n.leading dot\r\n';

    it('parses scripted replies', () => {
      assert.deepEqual(parseScriptedReply('451 4.3.0 try later'), { code: 451, text: '4.3.0 try later' });
      assert.deepEqual(parseScriptedReply('250'), { code: 250, text: '' });
      assert.throws(() => parseScriptedReply('oops'), /451 4\.3\.0/);
    });

    it('advertises PIPELINING, 8BITMIME, SMTPUTF8 and SIZE, but neither STARTTLS nor AUTH by default', async () => {
      const server = await mx();
      const client = await RawSmtpClient.connect(server.port);
      try {
        await client.waitFor(/^220 /m);
        client.write('EHLO client.test\r\n');
        const conversation = await client.waitFor(/^250 /m);
        for (const extension of ['PIPELINING', '8BITMIME', 'SMTPUTF8', 'SIZE 10485760']) {
          assert.match(conversation, new RegExp(`^250[- ]${extension}\\r?$`, 'm'));
        }
        assert.doesNotMatch(conversation, /STARTTLS|AUTH/);
      } finally {
        client.close();
      }
    });

    it('receives a message sent with nodemailer', async () => {
      const server = await mx();
      const info = await deliverOnce(server.port, { from: 'a@sender.test', to: ['b@example.test', 'c@example.test'] }, message);
      assert.deepEqual(info.accepted, ['b@example.test', 'c@example.test']);
      const [received] = await server.waitForMessages(1);
      assert.ok(received);
      assert.equal(received.mailFrom, 'a@sender.test');
      assert.deepEqual(received.rcptTo, ['b@example.test', 'c@example.test']);
      assert.equal(received.raw.toString(), message);
      assert.equal(received.tls, false);
      assert.equal(typeof received.connectionId, 'string');
      assert.equal(server.connections, 1);
      assert.equal(server.transactions, 1);
      assert.equal(server.rcptAttempts.get('b@example.test'), 1);
    });

    it('defers a recipient with 451 first and accepts it on the retry', async () => {
      const server = await mx({ rcptReply: (_address, attempt) => (attempt === 1 ? '451 4.3.0 try later' : undefined) });
      const envelope = { from: 'a@sender.test', to: ['b@example.test'] };

      const deferral = await expectSmtpFailure(deliverOnce(server.port, envelope, message));
      assert.equal(deferral.code, 'EENVELOPE');
      assert.equal(deferral.responseCode, 451);
      assert.equal(deferral.response, '451 4.3.0 try later');
      assert.equal(server.messages.length, 0);

      await deliverOnce(server.port, envelope, message);
      assert.equal((await server.waitForMessages(1)).length, 1);
      assert.equal(server.rcptAttempts.get('b@example.test'), 2);
      assert.equal(server.connections, 2);
    });

    it('sends a scripted 550 5.1.1 reply exactly', async () => {
      const server = await mx({ rcptReply: (address) => (address.startsWith('nobody@') ? '550 5.1.1 no such user' : undefined) });
      const info = await deliverOnce(server.port, { from: 'a@sender.test', to: ['nobody@example.test', 'b@example.test'] }, message);
      assert.deepEqual(info.accepted, ['b@example.test']);
      assert.deepEqual(info.rejected, ['nobody@example.test']);
      assert.equal(info.rejectedErrors?.[0]?.response, '550 5.1.1 no such user');
      const [received] = await server.waitForMessages(1);
      assert.deepEqual(received?.rcptTo, ['b@example.test']);
    });

    it('sends scripted DATA replies, accepting or rejecting', async () => {
      const server = await mx({
        dataReply: (envelope, attempt) => (attempt === 1 ? `554 5.7.1 rejected mail from ${envelope.mailFrom}` : '250 2.0.0 queued as ABC123'),
      });
      const envelope = { from: 'a@sender.test', to: ['b@example.test'] };
      const rejection = await expectSmtpFailure(deliverOnce(server.port, envelope, message));
      assert.equal(rejection.response, '554 5.7.1 rejected mail from a@sender.test');
      assert.equal(server.messages.length, 0);

      const info = await deliverOnce(server.port, envelope, message);
      assert.equal(info.response, '250 2.0.0 queued as ABC123');
      assert.equal(server.transactions, 2);
      assert.equal((await server.waitForMessages(1)).length, 1);
    });

    it('drops the connection after the final dot when told to', async () => {
      const server = await mx({ dropAfterData: (attempt) => attempt === 1 });
      const envelope = { from: 'a@sender.test', to: ['b@example.test'] };
      const failure = await expectSmtpFailure(deliverOnce(server.port, envelope, message));
      assert.equal(failure.responseCode, undefined, 'no SMTP reply may precede the drop');
      assert.equal(server.messages.length, 0);
      assert.equal(server.transactions, 1);

      await deliverOnce(server.port, envelope, message);
      assert.equal((await server.waitForMessages(1)).length, 1);
      assert.equal(server.transactions, 2);
    });

    it('offers STARTTLS with a self-signed certificate when tls is set', async () => {
      const server = await mx({ tls: true });
      await deliverOnce(server.port, { from: 'a@sender.test', to: ['b@example.test'] }, message, {
        requireTLS: true,
        tls: { rejectUnauthorized: false },
      });
      const [received] = await server.waitForMessages(1);
      assert.equal(received?.tls, true);
    });

    it('delays the greeting', async () => {
      const server = await mx({ greetingDelayMs: 500 });
      const failure = await expectSmtpFailure(connectSmtp(server.port, { greetingTimeout: 100 }));
      assert.equal(failure.code, 'ETIMEDOUT');
    });

    it('cuts open client connections on close', async () => {
      const server = await startMxServer();
      const client = await RawSmtpClient.connect(server.port);
      await client.waitFor(/^220 /m);
      await server.close();
      await client.closed;
    });

    it('rejects waitForMessages with a clear error on timeout', async () => {
      const server = await mx();
      await assert.rejects(server.waitForMessages(1, 50), /timed out after 50 ms waiting for 1 message\(s\); received 0/);
    });
  });

  describe('startLenientMx', () => {
    let server: LenientMx;
    beforeEach(async () => {
      server = await startLenientMx();
    });
    afterEach(() => server.close());

    async function openSession(): Promise<RawSmtpClient> {
      const client = await RawSmtpClient.connect(server.port);
      await client.waitFor(/^220 /m);
      return client;
    }

    it('advertises 8BITMIME and PIPELINING but not STARTTLS', async () => {
      const client = await openSession();
      try {
        client.write('EHLO client.test\r\n');
        const conversation = await client.waitFor(/^250 /m);
        assert.match(conversation, /^250-PIPELINING\r$/m);
        assert.match(conversation, /^250 8BITMIME\r$/m);
        assert.doesNotMatch(conversation, /STARTTLS/);
      } finally {
        client.close();
      }
    });

    it('takes "\\n.\\r\\n" as end of data, so smuggled commands become a second message', async () => {
      const client = await openSession();
      try {
        // Everything in one write: the commands are pipelined, and the body carries the smuggling payload.
        client.write(
          'EHLO client.test\r\nMAIL FROM:<a@sender.test>\r\nRCPT TO:<b@example.test>\r\nDATA\r\n' +
            'Subject: hi\r\n\r\nbody\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<z@w>\r\nDATA\r\nevil\r\n.\r\n',
        );
        const messages = await server.waitForMessages(2);
        assert.deepEqual(messages, [
          { mailFrom: 'a@sender.test', rcptTo: ['b@example.test'], raw: 'Subject: hi\r\n\r\nbody\n' },
          { mailFrom: 'x@y', rcptTo: ['z@w'], raw: 'evil\r\n' },
        ]);
      } finally {
        client.close();
      }
    });

    it('takes "\\n.\\n" as end of data and bare LF as a command line end', async () => {
      const client = await openSession();
      try {
        client.write('HELO client.test\nMAIL FROM:<a@sender.test>\nRCPT TO:<b@example.test>\nDATA\nfirst\n.\nMAIL FROM:<x@y>\nRCPT TO:<z@w>\nDATA\n');
        await client.waitFor(/(^354 [^\n]*\n[\s\S]*){2}/m);
        client.write('..stuffed\r\n.\r\nQUIT\r\n');
        const messages = await server.waitForMessages(2);
        assert.deepEqual(messages, [
          { mailFrom: 'a@sender.test', rcptTo: ['b@example.test'], raw: 'first\n' },
          { mailFrom: 'x@y', rcptTo: ['z@w'], raw: '.stuffed\r\n' },
        ]);
        await client.waitFor(/^221 /m);
        assert.equal(server.connections, 1);
      } finally {
        client.close();
      }
    });

    it('accepts a well-formed message from nodemailer', async () => {
      const info = await deliverOnce(server.port, { from: 'a@sender.test', to: ['b@example.test'] }, 'Subject: ok\r\n\r\n.dot\r\nend\r\n');
      assert.deepEqual(info.accepted, ['b@example.test']);
      const [received] = await server.waitForMessages(1);
      assert.equal(received?.raw, 'Subject: ok\r\n\r\n.dot\r\nend\r\n');
    });
  });
});
