/**
 * Start and end of a submission session, once smtp-server has one (the
 * connection limits were applied at accept, admission.ts): the session record,
 * the command screen and the deadlines, the AUTH deadline among them. AUTH is
 * hidden on a clear connection and appears once TLS is up (onSecure).
 * Refusals are 421 replies from the error registry, after which smtp-server
 * closes the connection.
 */
import type { SMTPServer, SMTPServerSession } from 'smtp-server';
import { outpostError } from '../../core/errors.js';
import { installCommandScreen } from './command-screen.js';
import { SessionDeadlines } from './deadlines.js';
import { replyText } from './replies.js';
import type { ListenerName, SubmissionContext, SubmissionSession } from './session-state.js';

/** Commands no submission client needs: sendmail jokes and proxy commands that would let a client rename itself. */
const ALWAYS_DISABLED = ['XCLIENT', 'XFORWARD', 'WIZ', 'SHELL', 'KILL'];

/** onConnect: throws the OutpostError to refuse the connection with. */
export function admitConnection(context: SubmissionContext, server: SMTPServer, listener: ListenerName, session: SMTPServerSession): void {
  const { submission: limits } = context.config;
  if (!context.intake) throw outpostError('shutting_down', 'Outpost is starting; try again in a moment');
  if (context.closing) throw outpostError('shutting_down');
  const connection = [...server.connections].find((candidate) => candidate.id === session.id);
  // not counted any more: pushed out to make room, or closed, between the handshake and now
  const accepted = connection && context.sessions.acceptedFor(listener, connection._socket);
  if (!connection || !accepted) throw outpostError('shutting_down', 'the connection closed while it was being set up');
  const ip = accepted.ip;

  const deadlines = new SessionDeadlines(limits, (error) => {
    context.logger.info({ session: session.id, ip, reason: error.message }, 'smtp submission: session timed out');
    const { code, text } = replyText(error);
    connection.send(code, text); // a 421 also closes the connection
  });
  const state: SubmissionSession = { id: session.id, ip, listener, accepted, connection, deadlines, commandsWithoutAuth: 0, inTransaction: false };
  context.sessions.attach(state);
  installCommandScreen(state, limits, context.logger);
  session.disabledCommands = session.secure ? ALWAYS_DISABLED : ['AUTH', ...ALWAYS_DISABLED];
  deadlines.awaitCommand();
  deadlines.awaitAuth();
  context.logger.debug({ session: session.id, ip, listener }, 'smtp submission: connection admitted');
}

/** onSecure: TLS is up (STARTTLS done, or the implicit TLS of 465), so AUTH may be offered. */
export function enableAuth(session: SMTPServerSession): void {
  session.disabledCommands = ALWAYS_DISABLED;
}

/** AUTH succeeded (inside the work the deadlines count as Outpost's): the AUTH deadline ends, and the unauthenticated share has one more place. */
export function markAuthenticated(context: SubmissionContext, state: SubmissionSession): void {
  state.deadlines.authenticated();
  context.sessions.markAuthenticated(state);
}

/** onClose: forgets the session, stops its timers and frees its place in the limits (unless its socket's close did already). */
export function releaseConnection(context: SubmissionContext, session: SMTPServerSession): void {
  const state = context.sessions.remove(session.id);
  if (!state) return;
  state.deadlines.stop();
  context.sessions.release(state.accepted);
}
