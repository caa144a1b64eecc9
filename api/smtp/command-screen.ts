/**
 * Outpost's look at every raw command line before smtp-server parses it, for
 * what smtp-server cannot be configured to do:
 *   - AUTH on a clear connection answers 538 5.7.11 (smtp-server, with AUTH
 *     hidden until TLS, would call it an unknown command);
 *   - MAIL, RCPT and DATA before AUTH answer 530 5.7.0, whatever the address;
 *   - relay-form addresses are refused with 553 even after AUTH: smtp-server's
 *     parser drops a source route (`@a:x@y` becomes `x@y`, RFC 5321 appendix C)
 *     before any hook sees the address;
 *   - a client that keeps talking without authenticating is cut off.
 * It also feeds the command deadline and ends the transaction deadline on
 * RSET/HELO/EHLO. It wraps the connection's command dispatch and reply writer
 * (SMTPConnection#_onCommand and #send, both in smtp-server's typings); every
 * line it does not answer goes to smtp-server unchanged. Lines that arrive
 * during a STARTTLS handshake are left to smtp-server, which discards them, so
 * `STARTTLS\r\nAUTH ...` sent in one write never authenticates anything.
 */
import type { Logger } from 'pino';
import { outpostError, isOutpostError, OutpostError } from '../../core/errors.js';
import { relayFormOf } from '../../core/address.js';
import { coalesceReplies } from './reply-coalescing.js';
import { ENHANCED_STATUS, replyText } from './replies.js';
import type { SubmissionSession } from './session-state.js';

const TRANSACTION_COMMANDS = new Set(['MAIL', 'RCPT', 'DATA']);
/** Commands after which no mail transaction is open (RFC 5321 4.1.4). */
const TRANSACTION_RESETS = new Set(['RSET', 'HELO', 'EHLO', 'QUIT']);
const ADDRESS_PATH = /^(?:MAIL\s+FROM|RCPT\s+TO)\s*:\s*<([^>]*)>/i;

export function installCommandScreen(session: SubmissionSession, limits: { maxUnauthenticatedCommands: number }, logger: Logger): void {
  const { connection } = session;
  const dispatch = connection._onCommand.bind(connection);
  const write = connection.send.bind(connection);

  // smtp-server adds its own enhanced status code to most replies; Outpost's texts already lead with one.
  connection.send = (code, data, context) => {
    coalesceReplies(connection._socket);
    write(code, data, typeof data === 'string' && ENHANCED_STATUS.test(data) ? false : context);
  };

  connection._onCommand = (command, callback) => {
    // Plaintext buffered behind STARTTLS, lines before the greeting and anything during shutdown are smtp-server's to answer.
    if (connection._upgrading || !connection._ready || connection._server._closeTimeout) return dispatch(command, callback);
    session.deadlines.awaitCommand();
    const refusal = screen(session, command.toString('utf8'), limits);
    if (!refusal) return dispatch(command, callback);
    const { code, text } = replyText(refusal);
    if (isOutpostError(refusal, 'too_many_unauthenticated_commands')) logger.warn({ session: session.id, ip: session.ip }, 'smtp submission: too many commands without AUTH; closing');
    // a 421 makes smtp-server close the connection after writing it
    connection.send(code, text);
    connection._whenWritable(callback ?? (() => undefined));
  };
}

/** The refusal for one command line, or undefined to let smtp-server run it. */
function screen(session: SubmissionSession, line: string, limits: { maxUnauthenticatedCommands: number }): OutpostError | undefined {
  const { connection } = session;
  const authenticated = Boolean(connection.session.user);
  if (!authenticated && ++session.commandsWithoutAuth > limits.maxUnauthenticatedCommands) {
    return outpostError('too_many_unauthenticated_commands', `${limits.maxUnauthenticatedCommands} commands without a successful AUTH; closing the connection`);
  }
  // an AUTH continuation line (base64 user name or password) is no command
  if (connection._nextHandler) return undefined;

  const name = line.trimStart().split(/[\s:]/, 1)[0]!.toUpperCase();
  if (TRANSACTION_RESETS.has(name)) {
    session.deadlines.endTransaction();
    session.inTransaction = false;
  }
  if (name === 'AUTH' && !connection.secure) {
    return outpostError('tls_required', 'issue STARTTLS first: the API key must not cross the network in clear');
  }
  // smtp-server answers 503 "send EHLO first" itself
  if (!TRANSACTION_COMMANDS.has(name) || !connection.hostNameAppearsAs) return undefined;
  if (!authenticated) {
    return outpostError('auth_required', 'authentication required: Outpost relays nothing without AUTH (PLAIN or LOGIN, your API key as the password)');
  }
  const path = ADDRESS_PATH.exec(line)?.[1];
  const form = path === undefined ? undefined : relayFormOf(path);
  if (form) {
    const text = `<${path}>: Outpost does not send to addresses in ${form}; give a plain user@domain`;
    return name === 'MAIL' ? outpostError('sender_address_refused', text) : outpostError('recipient_address_refused', text);
  }
  return undefined;
}
