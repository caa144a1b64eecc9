/**
 * Admission of a submission connection at accept, before any TLS and before
 * smtp-server sees the socket (its onConnect runs only after the handshake on
 * 465, so limits checked there let sockets that never start TLS pile up). Over
 * both listeners together:
 *   - at most maxConnectionsPerIp from one address;
 *   - at most maxConnections in all;
 *   - at most maxUnauthenticated not authenticated yet. When that share is
 *     full, a newcomer from an address holding fewer of them pushes out the
 *     oldest connection of the address holding the most; so a flood from a few
 *     addresses cannot keep anyone else out, and the rest of maxConnections
 *     stays for clients that did authenticate;
 *   - the SMTP session must have started (TLS handshake done) within
 *     handshakeTimeoutMs of accept.
 * A refused socket on 587 reads a 421 4.7.0 from the error registry; on 465
 * nothing can be said before TLS, and it is closed at once.
 * Refusals are logged at debug, one per socket; the connection that fills a
 * limit is logged once at warn, so a flood cannot flood the log as well.
 */
import type { Socket } from 'node:net';
import type { SMTPServer } from 'smtp-server';
import { outpostError, type OutpostError } from '../../core/errors.js';
import { replyText } from './replies.js';
import { socketKey, type AcceptedSocket, type ListenerName, type SubmissionContext } from './session-state.js';

/** How long a client refused on 587 has to read its 421 before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

/**
 * Puts `admit` in front of smtp-server's own handler of accepted sockets (the
 * net.Server 'connection' listener it registers in its constructor), so a socket
 * it refuses never reaches smtp-server: no TLS handshake, no session.
 */
export function screenAcceptedSockets(server: SMTPServer, admit: (socket: Socket) => boolean): void {
  const listener = server.server;
  const handlers = listener.listeners('connection') as ((socket: Socket) => void)[];
  listener.removeAllListeners('connection');
  listener.on('connection', (socket: Socket) => {
    if (!admit(socket)) return;
    for (const handler of handlers) handler.call(listener, socket);
  });
}

/** The address a socket comes from, IPv4 without the ::ffff: of a dual-stack listener. */
export function clientAddress(socket: Socket): string | undefined {
  return socket.remoteAddress?.replace(/^::ffff:(?=\d)/i, '').toLowerCase();
}

/**
 * Destroys an accepted socket, or the TLS socket over it while its handshake runs
 * (smtp-server's _pendingSockets, in its typings): destroying the TCP socket under
 * a TLS socket in its handshake crashes Node (a segmentation fault, seen on Node 20).
 */
function destroyFromTop(server: SMTPServer, socket: Socket): void {
  (server._pendingSockets.get(socket) ?? socket).destroy();
}

/** At accept: counts the socket in and arms its handshake deadline (true), or refuses it (false). */
export function admitSocket(context: SubmissionContext, server: SMTPServer, listener: ListenerName, socket: Socket): boolean {
  const ip = clientAddress(socket);
  // a client that reset the connection before it was accepted has no address any more
  if (ip === undefined) {
    socket.destroy();
    return false;
  }
  const room = findRoom(context, ip);
  if ('refusal' in room) {
    context.logger.debug({ ip, listener, reason: room.refusal.message }, 'smtp submission: connection refused');
    refuse(listener, socket, room.refusal);
    return false;
  }
  if (room.pushOut) pushOut(context, room.pushOut);
  const { sessions, logger } = context;
  const limits = context.config.submission;
  const connection: AcceptedSocket = { key: socketKey(listener, socket), ip, listener, destroy: () => destroyFromTop(server, socket), authenticated: false };
  sessions.add(connection);
  connection.handshakeTimer = setTimeout(() => {
    logger.info({ ip, listener, limitMs: limits.handshakeTimeoutMs }, 'smtp submission: no TLS handshake in time; closing the connection');
    connection.destroy();
  }, limits.handshakeTimeoutMs).unref();
  socket.once('close', () => sessions.release(connection));
  // a limit filled by pushing another connection out was full already, and said so then
  if (!room.pushOut) warnWhenFull(context, ip);
  return true;
}

/** The unauthenticated share: maxUnauthenticated, at most all of maxConnections. */
function unauthenticatedLimit(context: SubmissionContext): number {
  const limits = context.config.submission;
  return Math.min(limits.maxUnauthenticated, limits.maxConnections);
}

/** Whether a connection from `ip` may come in, and which connection must make room for it, if any. */
function findRoom(context: SubmissionContext, ip: string): { refusal: OutpostError } | { pushOut?: AcceptedSocket } {
  const { sessions } = context;
  const limits = context.config.submission;
  if (sessions.connectionsFrom(ip) >= limits.maxConnectionsPerIp) {
    return { refusal: outpostError('too_many_connections', `too many connections from ${ip} (at most ${limits.maxConnectionsPerIp}); reuse or close the ones you have`) };
  }
  if (sessions.size < limits.maxConnections && sessions.unauthenticated < unauthenticatedLimit(context)) return {};
  const victim = sessions.oldestOfBusiestAddress(ip);
  if (victim) return { pushOut: victim };
  if (sessions.size >= limits.maxConnections) {
    return { refusal: outpostError('too_many_connections', `Outpost has ${limits.maxConnections} submission connections open, its limit; try again in a moment`) };
  }
  return { refusal: outpostError('too_many_connections', `Outpost has ${unauthenticatedLimit(context)} submission connections waiting for AUTH, its limit; try again in a moment`) };
}

/** Closes an unauthenticated connection to make room: 421 to a session, nothing to a socket still in its TLS handshake. */
function pushOut(context: SubmissionContext, victim: AcceptedSocket): void {
  context.sessions.release(victim);
  context.logger.debug({ ip: victim.ip, listener: victim.listener }, 'smtp submission: unauthenticated connection pushed out to make room');
  const session = victim.session;
  if (!session) return victim.destroy();
  session.deadlines.stop();
  const { code, text } = replyText(
    outpostError('too_many_connections', `Outpost is at its connection limit and ${victim.ip} holds the most connections not authenticated yet; its oldest is closed to make room: authenticate sooner, or open fewer at once`),
  );
  // a 421 also closes the connection; smtp-server destroys the socket a few seconds later at most
  session.connection.send(code, text);
}

function refuse(listener: ListenerName, socket: Socket, refusal: OutpostError): void {
  socket.on('error', () => undefined);
  if (listener === 'submission_tls') return void socket.destroy();
  const { code, text } = replyText(refusal);
  socket.end(`${code} ${text}\r\n`);
  // read and drop whatever the client sends, so its close is seen
  socket.resume();
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

/** Logs, once per filling, the admission that filled a limit; the refusals that follow are debug. */
function warnWhenFull(context: SubmissionContext, ip: string): void {
  const { sessions, logger } = context;
  const limits = context.config.submission;
  if (sessions.connectionsFrom(ip) === limits.maxConnectionsPerIp) {
    logger.warn({ ip, limit: limits.maxConnectionsPerIp }, 'smtp submission: an address reached its connection limit; more from it are refused');
  }
  if (sessions.size === limits.maxConnections) {
    logger.warn({ limit: limits.maxConnections }, 'smtp submission: connection limit reached; newcomers are refused or push out unauthenticated connections');
  } else if (sessions.unauthenticated === unauthenticatedLimit(context)) {
    logger.warn({ limit: limits.maxUnauthenticated }, 'smtp submission: limit of unauthenticated connections reached; newcomers push out the busiest address\'s oldest or are refused');
  }
}
