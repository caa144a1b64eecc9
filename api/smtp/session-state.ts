/**
 * What the submission listeners share: the Intake they feed (set once the core
 * is ready), the settings, and one record per open connection, kept from the
 * moment it is accepted (before any TLS) until its socket closes: its client
 * address, whether it has authenticated, and once smtp-server has started its
 * SMTP session, that session (smtp-server connection, deadlines). The
 * registry's counts are what the connection limits are checked against; it
 * holds no message data.
 */
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { SMTPServer } from 'smtp-server';
import type { OutpostConfig } from '../../config/index.js';
import type { Intake } from '../../core/intake.js';
import type { SessionDeadlines } from './deadlines.js';

/** smtp-server's connection class, as its typings expose it through SMTPServer#connections. */
export type SmtpConnection = SMTPServer['connections'] extends Set<infer Connection> ? Connection : never;

/** The two listeners; also their names in /health. */
export type ListenerName = 'submission' | 'submission_tls';

export interface SubmissionContext {
  config: OutpostConfig;
  logger: Logger;
  sessions: SessionRegistry;
  /** undefined until Outpost is ready to take mail: connections are refused with 421 until then. */
  intake: Intake | undefined;
  /** Set when shutdown begins. */
  closing: boolean;
}

/** One accepted TCP connection, from accept to the close of its socket: what the connection limits count. */
export interface AcceptedSocket {
  /** Listener, address and port as the socket reports them: how onConnect finds the record again. */
  key: string;
  /** The client address, IPv4 without its ::ffff: prefix. */
  ip: string;
  listener: ListenerName;
  /** Closes the connection at once, from the top: the TLS socket of a handshake in progress, else the TCP socket. */
  destroy(): void;
  authenticated: boolean;
  /** Set once smtp-server has started the SMTP session (after the TLS handshake on 465). */
  session?: SubmissionSession;
  /** Closes the socket when the SMTP session has not started in time (handshakeTimeoutMs). */
  handshakeTimer?: NodeJS.Timeout;
}

/** The SMTP session of an accepted connection. */
export interface SubmissionSession {
  id: string;
  ip: string;
  listener: ListenerName;
  accepted: AcceptedSocket;
  connection: SmtpConnection;
  deadlines: SessionDeadlines;
  /** Command lines received before AUTH succeeded (AUTH continuation lines included). */
  commandsWithoutAuth: number;
  /** A MAIL FROM was accepted and the transaction has not ended yet (shutdown lets these finish). */
  inTransaction: boolean;
  /**
   * The API key the session authenticated with, kept in memory only: each transaction
   * checks it again, so a key rotated or an account disabled or deleted stops a session
   * that authenticated before, as it stops the next REST call.
   */
  apiKey?: string;
}

/** `listener|address|port` of a socket, the same for the TCP socket and the TLS socket over it. */
export function socketKey(listener: ListenerName, socket: Socket): string {
  return `${listener}|${socket.remoteAddress}|${socket.remotePort}`;
}

export class SessionRegistry {
  /** Open connections by socketKey, in the order they were accepted (the oldest first). */
  private readonly accepted = new Map<string, AcceptedSocket>();
  private readonly perIp = new Map<string, number>();
  private readonly byId = new Map<string, SubmissionSession>();
  private notAuthenticated = 0;

  /** Open connections on both listeners, from accept on. */
  get size(): number {
    return this.accepted.size;
  }

  /** Open connections that have not authenticated yet (TLS handshake included). */
  get unauthenticated(): number {
    return this.notAuthenticated;
  }

  connectionsFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  /** Counts a connection in, at accept. */
  add(connection: AcceptedSocket): void {
    this.accepted.set(connection.key, connection);
    this.perIp.set(connection.ip, this.connectionsFrom(connection.ip) + 1);
    if (!connection.authenticated) this.notAuthenticated += 1;
  }

  /** Counts a connection out (its socket closed, or it was pushed out); a second call does nothing. */
  release(connection: AcceptedSocket): void {
    clearTimeout(connection.handshakeTimer);
    if (this.accepted.get(connection.key) !== connection) return;
    this.accepted.delete(connection.key);
    const left = this.connectionsFrom(connection.ip) - 1;
    if (left > 0) this.perIp.set(connection.ip, left);
    else this.perIp.delete(connection.ip);
    if (!connection.authenticated) this.notAuthenticated -= 1;
  }

  /** The counted connection a socket (or the TLS socket over it) belongs to; undefined once it was released. */
  acceptedFor(listener: ListenerName, socket: Socket): AcceptedSocket | undefined {
    return this.accepted.get(socketKey(listener, socket));
  }

  /** The SMTP session has started on an accepted connection. */
  attach(session: SubmissionSession): void {
    clearTimeout(session.accepted.handshakeTimer);
    session.accepted.session = session;
    this.byId.set(session.id, session);
  }

  get(id: string): SubmissionSession | undefined {
    return this.byId.get(id);
  }

  /** AUTH succeeded: the connection no longer counts against the unauthenticated share. */
  markAuthenticated(session: SubmissionSession): void {
    const connection = session.accepted;
    if (connection.authenticated) return;
    connection.authenticated = true;
    if (this.accepted.get(connection.key) === connection) this.notAuthenticated -= 1;
  }

  /** Forgets a session; returns it, or undefined when it never started (or was already removed). */
  remove(id: string): SubmissionSession | undefined {
    const session = this.byId.get(id);
    if (!session) return undefined;
    this.byId.delete(id);
    return session;
  }

  /**
   * The oldest unauthenticated connection of the address holding the most of them,
   * when that address holds more than `ip` does: the one to push out to make room
   * for a connection from `ip`. One scan of the open connections, done only when
   * the unauthenticated share is full.
   */
  oldestOfBusiestAddress(ip: string): AcceptedSocket | undefined {
    const counts = new Map<string, number>();
    const oldest = new Map<string, AcceptedSocket>();
    for (const connection of this.accepted.values()) {
      if (connection.authenticated) continue;
      counts.set(connection.ip, (counts.get(connection.ip) ?? 0) + 1);
      if (!oldest.has(connection.ip)) oldest.set(connection.ip, connection);
    }
    let most = counts.get(ip) ?? 0;
    let busiest: string | undefined;
    for (const [address, count] of counts) {
      if (count > most) {
        most = count;
        busiest = address;
      }
    }
    return busiest === undefined ? undefined : oldest.get(busiest);
  }
}
