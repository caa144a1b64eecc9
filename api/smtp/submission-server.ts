/**
 * One submission listener as an smtp-server instance: the protocol options
 * (ESMTP extensions, TLS, SIZE, limits) and the handlers that connect it to
 * Outpost (connection-guard, auth, envelope, accept-message). Port 587 starts
 * in clear and offers STARTTLS; port 465 is TLS from the first byte. Either
 * way AUTH is offered only once TLS is up. Sockets are admitted at accept,
 * before smtp-server sees them (admission.ts).
 */
import type { Socket } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { admitSocket, screenAcceptedSockets } from './admission.js';
import { authenticateClient } from './auth.js';
import { receiveMessage } from './accept-message.js';
import { admitConnection, enableAuth, markAuthenticated, releaseConnection } from './connection-guard.js';
import { checkRecipient, checkSender } from './envelope.js';
import { DataInterruptedError } from './read-message.js';
import { smtpServerError } from './replies.js';
import type { ListenerName, SubmissionContext } from './session-state.js';
import { TLS_SETTINGS, type TlsCertificate } from '../../core/tls-certificate.js';

export function createSubmissionServer(listener: ListenerName, certificate: TlsCertificate, context: SubmissionContext): SMTPServer {
  const { config, logger } = context;
  const fail = (error: unknown, sessionId: string) => smtpServerError(error, logger, { session: sessionId, listener });

  const options: SMTPServerOptions = {
    name: config.hostname,
    banner: 'Outpost submission',
    // Outpost logs through pino itself; smtp-server's own logger would print every command
    logger: false,
    secure: listener === 'submission_tls',
    key: certificate.key,
    cert: certificate.cert,
    ...TLS_SETTINGS,
    size: config.spool.maxMessageBytes,
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: false,
    // the command screen answers MAIL/RCPT/DATA before AUTH with 530 and counts unauthenticated commands itself
    maxAllowedUnauthenticatedCommands: false,
    hidePIPELINING: false,
    hide8BITMIME: false,
    hideSMTPUTF8: false,
    hideENHANCEDSTATUSCODES: false,
    hideDSN: true,
    // REQUIRETLS (RFC 8689) is not offered; X-Outpost-Require-TLS asks for TLS to the destination
    hideREQUIRETLS: true,
    // a PTR lookup would use the system resolver, not OUTPOST_DNS_SERVERS, and its answer is never used
    disableReverseLookup: true,
    // a backstop only: the limits, over both listeners together and from accept on, are Outpost's
    // own (admission.ts); a connection pushed out to make room may linger here a few seconds more
    maxClients: config.submission.maxConnections * 2,
    maxRecipients: config.submission.maxRecipients,
    socketTimeout: config.submission.idleTimeoutMs,
    closeTimeout: config.shutdownGraceMs,

    onConnect(session, callback) {
      try {
        admitConnection(context, server, listener, session);
        callback();
      } catch (error) {
        callback(fail(error, session.id));
      }
    },

    onSecure(_socket, session, callback) {
      enableAuth(session);
      callback();
    },

    onAuth(auth, session, callback) {
      const state = context.sessions.get(session.id);
      const work = async () => {
        const accountId = await authenticateClient(context, auth, session);
        if (state) {
          state.apiKey = auth.password ?? undefined;
          // inside the work, so an AUTH deadline that ran out meanwhile does not fire once it is done
          markAuthenticated(context, state);
        }
        return accountId;
      };
      (state ? state.deadlines.whileBusy(work) : work()).then(
        (accountId) => callback(null, { user: accountId }),
        (error: unknown) => callback(fail(error, session.id)),
      );
    },

    onMailFrom(address, session, callback) {
      const state = context.sessions.get(session.id);
      const work = () => checkSender(context, session.user as string | undefined, state?.apiKey, address.address);
      (state ? state.deadlines.whileBusy(work) : work()).then(
        () => {
          if (state) {
            state.inTransaction = true;
            state.deadlines.startTransaction();
          }
          callback();
        },
        (error: unknown) => callback(fail(error, session.id)),
      );
    },

    onRcptTo(address, session, callback) {
      try {
        checkRecipient(address.address);
        callback();
      } catch (error) {
        callback(fail(error, session.id));
      }
    },

    onData(stream, session, callback) {
      const state = context.sessions.get(session.id);
      if (!state) {
        stream.resume();
        return callback(fail(new Error('DATA on a connection that was never admitted'), session.id));
      }
      receiveMessage(context, stream, session, state).then(
        (reply) => callback(null, reply),
        // a client that left mid-DATA is no error of Outpost's, and nobody is left to answer
        (error: unknown) => callback(error instanceof DataInterruptedError ? Object.assign(error, { responseCode: 451 }) : fail(error, session.id)),
      );
    },

    onClose(session) {
      releaseConnection(context, session);
    },
  };

  const server = new SMTPServer(options);
  screenAcceptedSockets(server, (socket) => admitSocket(context, server, listener, socket));
  // replies are small writes that each end a round trip: Nagle's algorithm would hold them back
  server.server.on('connection', (socket: Socket) => socket.setNoDelay(true));
  // Clients that reset the connection or fail the TLS handshake surface here; without a
  // listener EventEmitter would throw them and take the process down.
  server.on('error', (error: Error & { code?: string }) => {
    logger.debug({ listener, err: error.message, code: error.code }, 'smtp submission: connection error');
  });
  return server;
}
