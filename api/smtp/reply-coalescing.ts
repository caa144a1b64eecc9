/**
 * Replies written in one turn of the event loop leave as one TLS record in one
 * write. A pipelining client (RFC 2920) sends MAIL, RCPT and DATA together,
 * and smtp-server answers each with its own socket.write, which on a TLS
 * socket is encrypted and written on its own (about 40 µs of CPU per reply
 * here, the largest single item of an SMTP submission after the signature).
 * Corking the socket at the first reply and uncorking it once this turn's
 * I/O callbacks have run (setImmediate) sends them together; a reply that is
 * alone waits no longer than that turn.
 *
 * TLS sockets only: on the clear-text socket the 220 answering STARTTLS must
 * be on the wire before the handshake takes the socket over. socket.end()
 * (smtp-server's close after a 421 or QUIT) flushes a corked socket first.
 */
import { TLSSocket } from 'node:tls';
import type { Socket } from 'node:net';

export function coalesceReplies(socket: Socket): void {
  if (!(socket instanceof TLSSocket) || socket.writableCorked > 0) return;
  socket.cork();
  setImmediate(() => socket.uncork());
}
