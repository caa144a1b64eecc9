/**
 * A bounded SMTP load client for the benchmarks, the same for every server so
 * that two MTAs are fed alike: `sessions` connections in parallel, each doing
 * EHLO, STARTTLS (certificate not verified: loopback, self-signed), AUTH when
 * credentials are given, then sending messages back to back on the same
 * connection (nodemailer's SMTPConnection pipelines MAIL/RCPT/DATA when the
 * server offers PIPELINING, and sets TCP_NODELAY on the TCP socket as it
 * connects, which the STARTTLS upgrade keeps) until `messages` have been
 * sent in all or the deadline passes. Records each message's latency (send()
 * to the reply to the final dot) and every failure; never retries a message.
 *
 * Unlike smtp-source, which this stands in for where a server requires TLS or
 * AUTH, it runs inside the bench process: its CPU is reported separately
 * (clientCpuSeconds), so a reader can tell when the client, not the server,
 * was the limit.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type SMTPConnection from 'nodemailer/lib/smtp-connection';
import { openSmtpSession, resetSession, sendOverSession } from '../../test/support/smtp-session.js';

export interface SmtpLoadOptions {
  host: string;
  port: number;
  sessions: number;
  /** Messages to send over all sessions together. */
  messages: number;
  envelope: { from: string; to: string[] };
  /** The raw message number `index` (0-based), CRLF line endings. */
  messageFor: (index: number) => Buffer;
  /** AUTH PLAIN with these; without them no AUTH is attempted. */
  auth?: { user: string; pass: string };
  /** No message is started after this long (default 10 minutes). */
  deadlineMs?: number;
  /** New connections a session may open after its connection failed (default 3). */
  reconnects?: number;
}

export interface SmtpLoadResult {
  /** Messages whose final dot was answered 250. */
  accepted: number;
  /** Messages refused or lost to a connection failure. */
  failed: number;
  /** Recipients refused within accepted messages. */
  rejectedRecipients: number;
  /** The first few failures, with their reply, for the report. */
  failures: string[];
  /** Per accepted message, ms from send() to the 250 after the dot; sorted ascending. */
  latenciesMs: number[];
  /**
   * The two halves of each accepted message's latency, sorted: MAIL FROM until the 354 to DATA
   * (the envelope; one round trip when pipelined), and the body until the 250 after the dot.
   */
  envelopeMs: number[];
  dataMs: number[];
  /** From before the first connect until the last reply. */
  wallMs: number;
  /** Connections opened (sessions plus reconnects). */
  connections: number;
  /** Per connection, ms from connect() to ready to send (greeting, EHLO, STARTTLS, EHLO, AUTH); sorted. */
  setupMs: number[];
  /** The server's reply to the first accepted message (Outpost names the queued message's id in it). */
  firstReply: string | undefined;
  /** Protocol and cipher of the first TLS connection, e.g. "TLSv1.3 TLS_AES_128_GCM_SHA256". */
  tls: string | undefined;
  /** CPU seconds this process spent during the run (the client, plus anything else in the bench process). */
  clientCpuSeconds: number;
}

type SmtpError = Error & { code?: string; responseCode?: number; response?: string };

const KEPT_FAILURES = 5;

/** Runs the load to the end (all messages tried, or the deadline) and resolves with what happened. */
export async function runSmtpLoad(options: SmtpLoadOptions): Promise<SmtpLoadResult> {
  const deadline = Date.now() + (options.deadlineMs ?? 10 * 60_000);
  const result: SmtpLoadResult = {
    accepted: 0,
    failed: 0,
    rejectedRecipients: 0,
    failures: [],
    latenciesMs: [],
    envelopeMs: [],
    dataMs: [],
    wallMs: 0,
    connections: 0,
    setupMs: [],
    firstReply: undefined,
    tls: undefined,
    clientCpuSeconds: 0,
  };
  const recordFailure = (what: string): void => {
    result.failed++;
    if (result.failures.length < KEPT_FAILURES) result.failures.push(what);
  };
  let next = 0;
  const takeIndex = (): number | undefined => (next < options.messages && Date.now() < deadline ? next++ : undefined);

  const runSession = async (): Promise<void> => {
    let reconnectsLeft = options.reconnects ?? 3;
    let connection: SMTPConnection | undefined;
    try {
      for (;;) {
        const index = takeIndex();
        if (index === undefined) return;
        if (!connection) {
          try {
            connection = await openConnection(options, result);
          } catch (error) {
            recordFailure(`message ${index}: connection failed: ${describe(error)}`);
            if (reconnectsLeft-- <= 0) return;
            continue;
          }
        }
        const begin = performance.now();
        try {
          // a new envelope each time: SMTPConnection keeps the object and writes its recipient bookkeeping into it
          const info = await sendOverSession(connection, { from: options.envelope.from, to: [...options.envelope.to] }, options.messageFor(index));
          result.latenciesMs.push(performance.now() - begin);
          result.envelopeMs.push(info.envelopeTime);
          result.dataMs.push(info.messageTime);
          result.accepted++;
          result.firstReply ??= info.response;
          result.rejectedRecipients += info.rejected.length;
        } catch (error) {
          recordFailure(`message ${index}: ${describe(error)}`);
          const failure = error as SmtpError;
          // a refused message leaves the connection usable (as nodemailer's pool does): RSET and go on
          const refusedOnly = (failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE') && failure.responseCode !== 421;
          if (refusedOnly && (await resetSession(connection))) continue;
          connection.close();
          connection = undefined;
          if (reconnectsLeft-- <= 0) return;
        }
      }
    } finally {
      if (connection) await quit(connection);
    }
  };

  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: options.sessions }, () => runSession()));
  result.wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuAtStart);
  result.clientCpuSeconds = (cpu.user + cpu.system) / 1e6;
  for (const list of [result.latenciesMs, result.envelopeMs, result.dataMs]) list.sort((a, b) => a - b);
  result.setupMs.sort((a, b) => a - b);
  return result;
}

/** Opens a session (STARTTLS, AUTH when asked), counting and timing it for the report. */
async function openConnection(options: SmtpLoadOptions, result: SmtpLoadResult): Promise<SMTPConnection> {
  const begin = performance.now();
  result.connections++;
  const connection = await openSmtpSession({
    host: options.host,
    port: options.port,
    name: 'load.bench.test',
    timeoutMs: 30_000,
    ...(options.auth ? { auth: options.auth } : {}),
  });
  result.setupMs.push(performance.now() - begin);
  result.tls ??= tlsDescription(connection);
  return connection;
}

/** QUIT, then close once the server has answered (or after a second). */
async function quit(connection: SMTPConnection): Promise<void> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    connection.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
    connection.quit();
  });
  connection.close();
}

function tlsDescription(connection: SMTPConnection): string | undefined {
  const socket = connection._socket as Socket | TLSSocket | null | false;
  if (!connection.secure || !socket || !('getCipher' in socket)) return undefined;
  return `${socket.getProtocol() ?? 'TLS'} ${socket.getCipher().name}`;
}

function describe(error: unknown): string {
  const failure = error as SmtpError;
  return [failure.code, failure.response ?? failure.message].filter(Boolean).join(' ');
}
