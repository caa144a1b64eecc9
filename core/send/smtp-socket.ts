/**
 * Opens the TCP connection to one MX address and reads its greeting before
 * SMTPConnection takes over. Bytes that arrive in the same read after the
 * greeting are replies nobody asked for yet (an early talker, or an attacker
 * pre-loading answers to EHLO/STARTTLS): they are discarded so they can never
 * be taken as the answer to a later command. SMTPConnection already discards
 * plaintext left over after the STARTTLS reply.
 */
import net from 'node:net';

export interface SmtpSocketOptions {
  ip: string;
  port: number;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  /** Aborting (shutdown) destroys the socket and rejects. */
  signal?: AbortSignal;
}

export class SmtpSocketError extends Error {
  constructor(message: string, readonly response?: string) {
    super(message);
  }
}

/** A connected socket with the greeting (only the greeting) waiting to be read again. */
export interface GreetedSocket {
  socket: net.Socket;
  greeting: string;
  discardedBytes: number;
}

/** Index just past the end of the first complete reply in `text`, or -1 while it is incomplete. */
function endOfFirstReply(text: string): number {
  let lineStart = 0;
  for (;;) {
    const lineEnd = text.indexOf('\n', lineStart);
    if (lineEnd === -1) return -1;
    const line = text.slice(lineStart, lineEnd).replace(/\r$/, '');
    if (!/^\d{3}-/.test(line)) return lineEnd + 1;
    lineStart = lineEnd + 1;
  }
}

export function openSmtpSocket(options: SmtpSocketOptions): Promise<GreetedSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: options.ip, port: options.port, noDelay: true });
    let received = '';
    let timer = setTimeout(() => fail(new SmtpSocketError(`connection to ${options.ip}:${options.port} timed out`)), options.connectTimeoutMs);

    const onAbort = (): void => fail(new SmtpSocketError(`connection to ${options.ip}:${options.port} cancelled (shutting down)`));
    const fail = (error: Error): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.removeAllListeners();
      socket.on('error', () => undefined);
      socket.destroy();
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      received += chunk.toString('latin1');
      const end = endOfFirstReply(received);
      if (end === -1) {
        if (received.length > 64 * 1024) fail(new SmtpSocketError(`greeting from ${options.ip} is over 64 KB`));
        return;
      }
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      socket.off('data', onData);
      socket.off('error', fail);
      socket.off('close', onClose);
      socket.pause();
      // until SMTPConnection attaches its own handler, an error must not be an unhandled 'error' event
      socket.on('error', () => undefined);
      const greeting = received.slice(0, end);
      socket.unshift(Buffer.from(greeting, 'latin1'));
      resolve({ socket, greeting: greeting.trim(), discardedBytes: received.length - end });
    };
    const onClose = (): void => fail(new SmtpSocketError(`${options.ip}:${options.port} closed the connection before its greeting`));
    socket.once('connect', () => {
      clearTimeout(timer);
      timer = setTimeout(() => fail(new SmtpSocketError(`no greeting from ${options.ip}:${options.port} within ${options.greetingTimeoutMs} ms`)), options.greetingTimeoutMs);
    });
    socket.on('data', onData);
    socket.on('error', fail);
    socket.on('close', onClose);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
