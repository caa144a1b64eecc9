// Destination MX for delivery tests: a real SMTP server (smtp-server) on
// 127.0.0.1 whose RCPT and DATA replies, and mid-transaction disconnects, are
// scripted by the test, and which records everything it accepted.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SMTPServer } from 'smtp-server';
import type { SMTPServerAddress, SMTPServerDataStream, SMTPServerOptions, SMTPServerSession } from 'smtp-server';
import { MessageLog } from './message-log.js';

export interface ReceivedEnvelope {
  /** '' for the null sender. */
  mailFrom: string;
  rcptTo: string[];
}

export interface ReceivedMessage extends ReceivedEnvelope {
  /** The message as received, dot-unstuffed, without the final ".". */
  raw: Buffer;
  /** Whether the transaction ran over STARTTLS. */
  tls: boolean;
  /** The BODY= parameter of MAIL FROM (`8BITMIME`), if the client gave one. */
  bodyType: string | undefined;
  /** MAIL FROM carried the SMTPUTF8 parameter (RFC 6531). */
  smtpUtf8: boolean;
  /** smtp-server's session id, equal for messages sent over one connection. */
  connectionId: string;
  receivedAt: number;
}

/**
 * Scripted replies are full reply lines such as '451 4.3.0 try later' or
 * '550 5.1.1 no such user'; they reach the client verbatim. A 2xx/3xx script
 * means "accept" (smtp-server always answers 250 then, with the script's text
 * for DATA).
 */
export interface MxServerOptions {
  /** Offer STARTTLS with a throwaway self-signed certificate (CN mx.test). Default: no STARTTLS at all. */
  tls?: boolean;
  /** `attempt`: how often this exact address has been offered in RCPT TO on this server, 1-based. undefined = accept. */
  rcptReply?: (address: string, attempt: number) => string | undefined;
  /** Reply after the final "."; `attempt` counts DATA transactions on this server, 1-based. undefined = 250. */
  dataReply?: (envelope: ReceivedEnvelope, attempt: number) => string | undefined;
  /** Holds the reply after the final "." until the returned promise settles (undefined = reply at once). */
  holdDataReply?: (envelope: ReceivedEnvelope) => Promise<void> | undefined;
  /** Return true to drop the connection once the final "." has arrived, without any reply. Same `attempt` as dataReply. */
  dropAfterData?: (attempt: number) => boolean;
  /** Hold back the 220 greeting this long, to exercise client timeouts. */
  greetingDelayMs?: number;
  /** Advertised SIZE limit in bytes; larger messages get 552. Default 10 MiB. */
  size?: number;
  /** Leave 8BITMIME out of the EHLO reply (a destination that takes only 7-bit bodies, RFC 6152). */
  hide8BitMime?: boolean;
  /** Leave SMTPUTF8 out of the EHLO reply (a destination without internationalised mail, RFC 6531). */
  hideSmtpUtf8?: boolean;
}

export interface TestMxServer {
  port: number;
  /** Messages accepted with a 2xx reply; rejected and dropped transactions are not here. */
  messages: ReceivedMessage[];
  /** TCP connections accepted so far. */
  connections: number;
  /** DATA transactions started (accepted, rejected or dropped). */
  transactions: number;
  /** RCPT TO attempts per address, exactly as the client spelled it. */
  rcptAttempts: Map<string, number>;
  /** Resolves with all messages so far once there are at least `count`; rejects after `timeoutMs` (default 5000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<ReceivedMessage[]>;
  /** Stops listening and cuts every open client connection. */
  close(): Promise<void>;
}

export interface ScriptedReply {
  code: number;
  text: string;
}

const LOOPBACK = '127.0.0.1';
const SERVER_NAME = 'mx.test';
const DEFAULT_SIZE_LIMIT = 10 * 1024 * 1024;

export function parseScriptedReply(reply: string): ScriptedReply {
  const match = /^([2-5]\d\d)(?:[ -](.*))?$/s.exec(reply.trim());
  if (!match) throw new Error(`scripted SMTP reply must look like '451 4.3.0 try later', got ${JSON.stringify(reply)}`);
  return { code: Number(match[1]), text: match[2] ?? '' };
}

/**
 * smtp-server writes `${responseCode} ${message}` (enhanced status codes are
 * off, see the server options), so the message carries the script's text,
 * enhanced code included, and the wire line equals the script.
 */
function smtpError(reply: ScriptedReply): Error & { responseCode: number } {
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}

export interface TestCertificate {
  key: string;
  cert: string;
}

let certificatePromise: Promise<TestCertificate> | undefined;

/**
 * Node cannot mint X.509 certificates itself, so ask openssl once per test
 * process; an EC key keeps that to a few milliseconds. The certificate is
 * exported so a test can trust it explicitly (`ca`) when it needs to.
 */
export function getTestCertificate(): Promise<TestCertificate> {
  certificatePromise ??= generateSelfSignedCertificate().catch((error: unknown) => {
    certificatePromise = undefined; // let a later call retry instead of caching the failure
    throw error;
  });
  return certificatePromise;
}

async function generateSelfSignedCertificate(): Promise<TestCertificate> {
  const directory = await mkdtemp(join(tmpdir(), 'outpost-test-cert-'));
  const keyPath = join(directory, 'key.pem');
  const certPath = join(directory, 'cert.pem');
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-nodes', '-days', '1',
      '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
      '-subj', `/CN=${SERVER_NAME}`,
      '-addext', `subjectAltName=DNS:${SERVER_NAME},IP:${LOOPBACK}`,
      '-keyout', keyPath, '-out', certPath,
    ]);
    return { key: await readFile(keyPath, 'utf8'), cert: await readFile(certPath, 'utf8') };
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

function peerKey(address: string | undefined, port: number | undefined): string {
  return `${(address ?? '').replace(/^::ffff:/, '')}:${port ?? ''}`;
}

export async function startMxServer(options: MxServerOptions = {}): Promise<TestMxServer> {
  const certificate = options.tls ? await getTestCertificate() : undefined;
  const messageLog = new MessageLog<ReceivedMessage>('test MX server');
  const rcptAttempts = new Map<string, number>();
  // The raw TCP sockets, by peer address: smtp-server's session does not
  // expose its socket, but dropAfterData has to cut it and close() has to cut all.
  const socketsByPeer = new Map<string, Socket>();
  const greetingTimers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let transactions = 0;

  const serverOptions: SMTPServerOptions = {
    name: SERVER_NAME,
    logger: false,
    // Reverse DNS of 127.0.0.1 would go to the system resolver and delay the greeting.
    disableReverseLookup: true,
    // A destination MX takes mail without AUTH, and never offers it.
    authOptional: true,
    disabledCommands: options.tls ? ['AUTH'] : ['AUTH', 'STARTTLS'],
    hideSTARTTLS: !options.tls,
    hidePIPELINING: false,
    hide8BITMIME: options.hide8BitMime ?? false,
    hideSMTPUTF8: options.hideSmtpUtf8 ?? false,
    // With enhanced status codes on, smtp-server prefixes its own code
    // ("550 5.0.0 ...") to every reply, so a scripted reply could not come out verbatim.
    hideENHANCEDSTATUSCODES: true,
    size: options.size ?? DEFAULT_SIZE_LIMIT,
    rejectOversized: true,
    ...(certificate ? { key: certificate.key, cert: certificate.cert } : {}),

    onConnect(_session, callback) {
      if (!options.greetingDelayMs) return callback();
      const timer = setTimeout(() => {
        greetingTimers.delete(timer);
        callback();
      }, options.greetingDelayMs);
      greetingTimers.add(timer);
    },

    onRcptTo(address, _session, callback) {
      const attempt = (rcptAttempts.get(address.address) ?? 0) + 1;
      rcptAttempts.set(address.address, attempt);
      const script = options.rcptReply?.(address.address, attempt);
      const reply = script === undefined ? undefined : parseScriptedReply(script);
      if (reply && reply.code >= 400) return callback(smtpError(reply));
      callback();
    },

    onData(stream: SMTPServerDataStream, session: SMTPServerSession, callback) {
      transactions += 1;
      const attempt = transactions;
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', (error: Error) => callback(error));
      stream.on('end', () => {
        if (options.dropAfterData?.(attempt)) {
          // Never calling back means smtp-server sends nothing; the client sees the connection die.
          socketsByPeer.get(peerKey(session.remoteAddress, session.remotePort))?.destroy();
          return;
        }
        const envelope: ReceivedEnvelope = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
        };
        // rejectOversized makes smtp-server answer 552 whatever we say; just don't record it.
        if (stream.sizeExceeded) return callback(null);
        void (options.holdDataReply?.(envelope) ?? Promise.resolve()).then(() => reply(envelope));
      });
      const reply = (envelope: ReceivedEnvelope) => {
        const script = options.dataReply?.(envelope, attempt);
        const scripted = script === undefined ? undefined : parseScriptedReply(script);
        if (scripted && scripted.code >= 400) return callback(smtpError(scripted));
        messageLog.push({
          ...envelope,
          raw: Buffer.concat(chunks),
          tls: session.secure,
          bodyType: bodyTypeOf(session.envelope.mailFrom),
          smtpUtf8: session.envelope.smtpUtf8 === true,
          connectionId: session.id,
          receivedAt: Date.now(),
        });
        callback(null, scripted?.text || undefined);
      };
    },
  };

  const server = new SMTPServer(serverOptions);
  // Clients that vanish mid-session (ECONNRESET and the like) surface here;
  // without a listener EventEmitter would throw them. They are expected in
  // delivery tests, so they are not failures of the test server.
  server.on('error', () => {});

  server.server.on('connection', (socket: Socket) => {
    connections += 1;
    const key = peerKey(socket.remoteAddress, socket.remotePort);
    socketsByPeer.set(key, socket);
    socket.on('close', () => socketsByPeer.delete(key));
  });

  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    messages: messageLog.items,
    get connections() {
      return connections;
    },
    get transactions() {
      return transactions;
    },
    rcptAttempts,
    waitForMessages: (count, timeoutMs) => messageLog.waitFor(count, timeoutMs),
    async close() {
      messageLog.close();
      for (const timer of greetingTimers) clearTimeout(timer);
      greetingTimers.clear();
      await new Promise<void>((resolve) => {
        // smtp-server's own close waits up to closeTimeout for clients to say
        // QUIT; a test server should just cut them, so the listener closes now.
        server.close(() => resolve());
        for (const socket of socketsByPeer.values()) socket.destroy();
      });
    },
  };
}

function bodyTypeOf(mailFrom: SMTPServerAddress | false): string | undefined {
  const body = mailFrom && mailFrom.args ? mailFrom.args.BODY : undefined;
  return typeof body === 'string' ? body : undefined;
}
