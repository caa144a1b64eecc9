/**
 * One client SMTP session as the load clients open it (test/support/smtp-load.ts
 * for fault tests, bench/lib/smtp-load.ts for benchmarks): nodemailer's
 * SMTPConnection with STARTTLS required (certificate not verified: loopback,
 * self-signed) and AUTH PLAIN when credentials are given, plus the promise
 * forms of send and RSET both use.
 */
import SMTPConnection from 'nodemailer/lib/smtp-connection';
import type { SMTPConnectionSendInfo, SMTPEnvelope } from 'nodemailer/lib/smtp-connection';

export interface SmtpSessionOptions {
  host: string;
  port: number;
  /** AUTH PLAIN with these; without them no AUTH is attempted. */
  auth?: { user: string; pass: string };
  /** EHLO name (default nodemailer's: the machine's). */
  name?: string;
  /** Bound on connecting, the greeting and each reply. */
  timeoutMs: number;
}

/** A connected, encrypted (and, with `auth`, authenticated) session; rejects with nodemailer's error otherwise. */
export async function openSmtpSession(options: SmtpSessionOptions): Promise<SMTPConnection> {
  const connection = new SMTPConnection({
    host: options.host,
    port: options.port,
    ...(options.name ? { name: options.name } : {}),
    requireTLS: true,
    tls: { rejectUnauthorized: false },
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    socketCloseTimeout: 0,
    logger: false,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      connection.once('error', reject);
      connection.connect((error) => {
        connection.off('error', reject);
        if (error) return reject(error);
        // later errors (the server gone) also reach the send callback; this only keeps them from being thrown
        connection.on('error', () => undefined);
        resolve();
      });
    });
    const { auth } = options;
    if (auth) {
      await new Promise<void>((resolve, reject) =>
        connection.login({ user: auth.user, pass: auth.pass, method: 'PLAIN' }, (error) => (error ? reject(error) : resolve())),
      );
    }
  } catch (error) {
    connection.close();
    throw error;
  }
  return connection;
}

/**
 * Sends one message. `envelope` must be a fresh object per message: SMTPConnection keeps it
 * and writes its recipient bookkeeping into it.
 */
export function sendOverSession(connection: SMTPConnection, envelope: SMTPEnvelope, raw: Buffer): Promise<SMTPConnectionSendInfo> {
  return new Promise((resolve, reject) => connection.send(envelope, raw, (error, info) => (error ? reject(error) : resolve(info!))));
}

/** RSET after a refused message; false when the session cannot go on. */
export function resetSession(connection: SMTPConnection): Promise<boolean> {
  return new Promise((resolve) => connection.reset((error) => resolve(!error)));
}
