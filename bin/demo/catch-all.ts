/**
 * The demo's destination mail server (smtp-server) on 127.0.0.1: the MX of the
 * demo's recipient domain, taking every message for any address without AUTH
 * (as a real MX does) and keeping each delivered copy in memory, so the demo
 * can show it and check its DKIM signature. It must never bind anything but
 * loopback, nor outlive close().
 */
import type { AddressInfo, Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface DeliveredCopy {
  mailFrom: string;
  rcptTo: string[];
  raw: Buffer;
  /** Whether Outpost delivered it over STARTTLS. */
  tls: boolean;
}

export interface CatchAll {
  port: number;
  /** Every copy delivered so far. */
  copies: DeliveredCopy[];
  /** Called for each copy as it arrives. */
  onCopy: ((copy: DeliveredCopy) => void) | undefined;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
/** The demo sends small messages; the limit only keeps a runaway sender out of memory. */
const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export async function startCatchAll(name: string): Promise<CatchAll> {
  const sockets = new Set<Socket>();
  const catchAll: CatchAll = {
    port: 0,
    copies: [],
    onCopy: undefined,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // smtp-server would wait for clients to QUIT; the demo is over
        for (const socket of sockets) socket.destroy();
      });
    },
  };
  const server = new SMTPServer({
    name,
    logger: false,
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    disableReverseLookup: true,
    size: MAX_MESSAGE_BYTES,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('error', callback);
      stream.on('end', () => {
        const copy: DeliveredCopy = {
          mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((recipient) => recipient.address),
          raw: Buffer.concat(chunks),
          tls: session.secure,
        };
        catchAll.copies.push(copy);
        catchAll.onCopy?.(copy);
        callback(null);
      });
    },
  });
  // a client that vanishes mid-session is not the demo's failure
  server.on('error', () => undefined);
  server.server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.server.off('error', reject);
      resolve();
    });
  });
  catchAll.port = (server.server.address() as AddressInfo).port;
  return catchAll;
}
