/**
 * Opens an SMTP session with the first MX address that answers, trying hosts
 * in preference order and each of their addresses (failover), with STARTTLS
 * whenever offered. require_tls and verify_cert come from the message.
 * A session that fails to open leaves no socket behind: it is destroyed before
 * the next address is tried, so a failure frees the domain's connection slot.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { MxHost } from './mx-resolver.js';
import { openSmtpSocket } from './smtp-socket.js';
import { outpostError, type OutpostError } from '../errors.js';

export interface TlsRequirement {
  requireTls: boolean;
  verifyCert: boolean;
}

export interface ConnectSettings extends TlsRequirement {
  port: number;
  /** Our EHLO name. */
  hostname: string;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  replyTimeoutMs: number;
  /** Aborted at shutdown: connections being opened are given up. */
  signal?: AbortSignal;
}

/** An open session with one MX address, ready for MAIL FROM. */
export interface MxConnection {
  readonly smtp: SMTPConnection;
  /** The TCP socket under the session (under TLS too): the connection is over when it closes. */
  readonly socket: Socket;
  readonly mx: string;
  readonly ip: string;
  readonly port: number;
  readonly tls: { protocol: string; cipher: string } | null;
  /** The peer certificate was checked against the MX host name. */
  readonly certificateVerified: boolean;
  /** EHLO keywords of the session, upper-case (8BITMIME, SMTPUTF8, ...). */
  readonly extensions: ReadonlySet<string>;
  transactions: number;
  /** The last transaction ended without completing (reply to RSET needed before reuse). */
  needsReset: boolean;
}

export interface ConnectFailure {
  mx?: string;
  ip?: string;
  port: number;
  response: string;
  code?: number;
}

/** Tries each host and address; resolves with a session or with why none could be opened. */
export async function connectToMx(
  hosts: MxHost[],
  settings: ConnectSettings,
  logger: { warn: (details: object, message: string) => void },
): Promise<{ connection: MxConnection } | { failure: ConnectFailure }> {
  const reply = (error: OutpostError): string => `${error.smtpReply().status} ${error.message}`;
  let failure: ConnectFailure = { port: settings.port, response: reply(outpostError('destination_unreachable', 'no MX address to try')) };
  for (const host of hosts) {
    for (const ip of host.addresses) {
      if (settings.signal?.aborted) return { failure: { ...failure, response: reply(outpostError('delivery_cancelled')) } };
      try {
        return { connection: await openSession(host.exchange, ip, settings, logger) };
      } catch (error) {
        const { response, responseCode } = error as { response?: string; responseCode?: number };
        failure = {
          mx: host.exchange,
          ip,
          port: settings.port,
          // a reply the server gave, or (refused, reset, timed out) why none came
          response: response ?? reply(outpostError('destination_unreachable', `${host.exchange} [${ip}]: ${(error as Error).message}`)),
          // like Postfix, the last host tried decides: its reply is classified (a 5xx greeting bounces), no reply retries
          ...(responseCode ? { code: responseCode } : {}),
        };
      }
    }
  }
  return { failure };
}

async function openSession(
  mx: string,
  ip: string,
  settings: ConnectSettings,
  logger: { warn: (details: object, message: string) => void },
): Promise<MxConnection> {
  const greeted = await openSmtpSocket({
    ip,
    port: settings.port,
    connectTimeoutMs: settings.connectTimeoutMs,
    greetingTimeoutMs: settings.greetingTimeoutMs,
    ...(settings.signal ? { signal: settings.signal } : {}),
  });
  if (greeted.discardedBytes > 0) {
    logger.warn({ mx, ip, discardedBytes: greeted.discardedBytes }, 'discarded data the MX sent with its greeting (possible reply injection)');
  }
  const smtp = new SMTPConnection({
    connection: greeted.socket,
    host: ip,
    port: settings.port,
    servername: mx,
    name: settings.hostname,
    // require_tls is checked below rather than through nodemailer's requireTLS, which would send
    // STARTTLS to a server that never offered it and turn its 5xx into a bounce instead of a deferral.
    // A failed handshake falls back to plaintext only when the message asked for neither TLS nor a valid certificate.
    opportunisticTLS: !settings.requireTls && !settings.verifyCert,
    tls: { rejectUnauthorized: settings.verifyCert, servername: mx, minVersion: 'TLSv1.2' },
    greetingTimeout: settings.greetingTimeoutMs,
    connectionTimeout: settings.connectTimeoutMs + settings.greetingTimeoutMs,
    socketTimeout: settings.replyTimeoutMs,
    logger: false,
  });
  let cancel = (): void => undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      // shutdown rejects here (close() alone only emits 'end', which settles neither the connect callback nor 'error')
      cancel = () => reject(new Error(`connection to ${mx} [${ip}] cancelled (shutting down)`));
      if (settings.signal?.aborted) return cancel();
      settings.signal?.addEventListener('abort', cancel, { once: true });
      smtp.once('error', reject);
      smtp.connect((error) => {
        smtp.off('error', reject);
        settings.signal?.removeEventListener('abort', cancel);
        if (error) reject(error);
        else resolve();
      });
    });
    if (settings.requireTls && !smtp.secure) {
      const refusal = outpostError('destination_without_tls', `TLS is required for this message but ${mx} [${ip}] does not offer STARTTLS`).smtpReply();
      throw Object.assign(new Error(refusal.text), { response: `${refusal.code} ${refusal.status} ${refusal.text}`, responseCode: refusal.code });
    }
  } catch (error) {
    settings.signal?.removeEventListener('abort', cancel);
    smtp.on('error', () => undefined);
    smtp.close();
    // close() only ends our side and waits for the server's; the socket must be gone before the slot is free
    greeted.socket.destroy();
    throw error;
  }
  // errors after the handshake surface through send()/reset() callbacks; keep the emitter from throwing
  smtp.on('error', () => undefined);
  const socket = smtp._socket as TLSSocket | null;
  const tls = smtp.secure && socket && typeof socket.getCipher === 'function'
    ? { protocol: socket.getProtocol() ?? 'unknown', cipher: socket.getCipher().name }
    : null;
  return {
    smtp,
    socket: greeted.socket,
    mx,
    ip,
    port: settings.port,
    tls,
    certificateVerified: tls !== null && settings.verifyCert,
    extensions: ehloKeywords(smtp.lastServerResponse),
    transactions: 0,
    needsReset: false,
  };
}

/**
 * The keywords of the reply that ended the handshake: the EHLO reply (after
 * STARTTLS, the second one). nodemailer keeps what it parsed to itself, but
 * this reply is public. A HELO reply names none, and neither does a refused
 * STARTTLS after which the session went on in plaintext: such a session is
 * taken to offer no extension (8-bit content is then re-encoded, UTF-8 refused).
 */
export function ehloKeywords(reply: string | false): ReadonlySet<string> {
  if (!reply || !reply.startsWith('250')) return new Set();
  const lines = reply.split(/\r?\n/).slice(1);
  return new Set(lines.map((line) => line.replace(/^\d{3}[ -]/, '').trim().split(/[\s=]/, 1)[0]!.toUpperCase()).filter(Boolean));
}
