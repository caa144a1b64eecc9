/**
 * One request to a scanner daemon over TCP or a unix socket (clamd, spamd):
 * connect, write the request with backpressure, read the whole answer until
 * the daemon closes, all within an abort signal (the scan timeout, the hook's
 * own). A daemon that answers before it has read everything (clamd refusing a
 * stream over its limit) is heard: its answer wins over the failed write. It
 * never retries and never leaves a socket open.
 */
import net from 'node:net';
import { describeAddress, type DaemonAddress } from './shared-settings.js';

/** Writes a chunk, waiting while the socket's buffer is full (or until it is closed). */
export async function writeChunk(socket: net.Socket, chunk: Buffer): Promise<void> {
  if (socket.write(chunk)) return;
  await new Promise<void>((resolve) => {
    const done = (): void => {
      socket.off('drain', done);
      socket.off('close', done);
      resolve();
    };
    socket.on('drain', done);
    socket.on('close', done);
  });
}

/** The daemon's whole answer (at most `maxAnswerBytes`) to what `send` writes; rejects when it cannot be had. */
export function exchange(address: DaemonAddress, signal: AbortSignal, maxAnswerBytes: number, send: (socket: net.Socket) => Promise<void>): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const where = describeAddress(address);
    const socket = net.connect('path' in address ? { path: address.path } : { host: address.host, port: address.port });
    const answer: Buffer[] = [];
    let answerBytes = 0;
    let settled = false;
    const finish = (error?: Error): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      socket.destroy();
      if (error) reject(error);
      else resolve(Buffer.concat(answer));
    };
    // an answer heard before a write failed is the daemon's word on the request
    const failed = (error: Error): void => finish(answerBytes > 0 ? undefined : new Error(`${where}: ${error.message}`));
    const onAbort = (): void => finish(new Error(`${where} did not answer in time`));
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });

    socket.on('data', (chunk: Buffer) => {
      answerBytes += chunk.length;
      if (answerBytes > maxAnswerBytes) return finish(new Error(`${where} answered more than ${maxAnswerBytes} bytes`));
      answer.push(chunk);
    });
    socket.on('end', () => finish());
    socket.on('error', failed);
    socket.once('connect', () => void send(socket).catch(failed));
  });
}
