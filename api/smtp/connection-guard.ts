/**
 * Admission and end of a submission connection: the connection limits (per
 * client address and in total, over both listeners), the session record, the
 * command screen and the deadlines. AUTH is hidden on a clear connection and
 * appears once TLS is up (onSecure). Refusals are 421 replies from the error
 * registry, after which smtp-server closes the connection.
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import { outpostError } from '../../core/errors.js';
import { installCommandScreen } from './command-screen.js';
import { SessionDeadlines } from './deadlines.js';
import { replyText } from './replies.js';
import type { ListenerName, SubmissionContext } from './session-state.js';

/** Commands no submission client needs: sendmail jokes and proxy commands that would let a client rename itself. */
const ALWAYS_DISABLED = ['XCLIENT', 'XFORWARD', 'WIZ', 'SHELL', 'KILL'];

/** onConnect: throws the OutpostError to refuse the connection with. */
export function admitConnection(context: SubmissionContext, server: SMTPServer, listener: ListenerName, session: SMTPServerSession): void {
  const { submission: limits } = context.config;
  if (!context.intake) throw outpostError('shutting_down', 'Outpost is starting; try again in a moment');
  if (context.closing) throw outpostError('shutting_down');
  const ip = session.remoteAddress;
  if (context.sessions.size >= limits.maxConnections) {
    context.logger.warn({ ip, limit: limits.maxConnections }, 'smtp submission: connection refused, total limit reached');
    throw outpostError('too_many_connections', `Outpost has ${limits.maxConnections} submission connections open, its limit; try again in a moment`);
  }
  if (context.sessions.connectionsFrom(ip) >= limits.maxConnectionsPerIp) {
    context.logger.warn({ ip, limit: limits.maxConnectionsPerIp }, 'smtp submission: connection refused, per-address limit reached');
    throw outpostError('too_many_connections', `too many connections from ${ip} (at most ${limits.maxConnectionsPerIp}); reuse or close the ones you have`);
  }
  const connection = [...server.connections].find((candidate) => candidate.id === session.id);
  if (!connection) throw outpostError('shutting_down', 'the connection closed while it was being set up');

  const deadlines = new SessionDeadlines(limits, (error) => {
    context.logger.info({ session: session.id, ip, reason: error.message }, 'smtp submission: session timed out');
    const { code, text } = replyText(error);
    connection.send(code, text); // a 421 also closes the connection
  });
  const state = { id: session.id, ip, listener, connection, deadlines, commandsWithoutAuth: 0, inTransaction: false };
  context.sessions.add(state);
  installCommandScreen(state, limits, context.logger);
  session.disabledCommands = session.secure ? ALWAYS_DISABLED : ['AUTH', ...ALWAYS_DISABLED];
  deadlines.awaitCommand();
  context.logger.debug({ session: session.id, ip, listener }, 'smtp submission: connection admitted');
}

/** onSecure: TLS is up (STARTTLS done, or the implicit TLS of 465), so AUTH may be offered. */
export function enableAuth(session: SMTPServerSession): void {
  session.disabledCommands = ALWAYS_DISABLED;
}

/** onClose: frees the connection's place in the limits and stops its timers. */
export function releaseConnection(context: SubmissionContext, session: SMTPServerSession): void {
  context.sessions.remove(session.id)?.deadlines.stop();
}
