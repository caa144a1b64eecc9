/**
 * What the submission listeners share: the Intake they feed (set once the core
 * is ready), the settings, and one record per
 * open connection (client address, its smtp-server connection, its deadlines).
 * The registry's counts are what the connection limits are checked against;
 * it holds no message data.
 */
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

/** One open connection that was admitted. */
export interface SubmissionSession {
  id: string;
  ip: string;
  listener: ListenerName;
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

export class SessionRegistry {
  private readonly byId = new Map<string, SubmissionSession>();
  private readonly perIp = new Map<string, number>();

  /** Open sessions on both listeners. */
  get size(): number {
    return this.byId.size;
  }

  connectionsFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }

  add(session: SubmissionSession): void {
    this.byId.set(session.id, session);
    this.perIp.set(session.ip, this.connectionsFrom(session.ip) + 1);
  }

  get(id: string): SubmissionSession | undefined {
    return this.byId.get(id);
  }

  /** Forgets a session; returns it, or undefined when it was never admitted (or already removed). */
  remove(id: string): SubmissionSession | undefined {
    const session = this.byId.get(id);
    if (!session) return undefined;
    this.byId.delete(id);
    const left = this.connectionsFrom(session.ip) - 1;
    if (left > 0) this.perIp.set(session.ip, left);
    else this.perIp.delete(session.ip);
    return session;
  }
}
