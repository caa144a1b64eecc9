/**
 * A destination MX that is slow or refuses, for fault tests and the queue
 * benchmark: a raw SMTP server that holds every reply (the greeting too, if
 * asked) for `replyDelayMs`, answers RCPT with a fixed reply (say `451 4.3.0
 * try later`), and counts connections: how many are open now and at most, so
 * a test can check per-destination limits. It can bind any loopback address
 * (127.0.0.2 shares a port number with a normal MX on 127.0.0.1, since
 * OUTPOST_DELIVERY_PORT is one port for every destination). close() cuts every
 * connection and clears every pending reply.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface StallingMxOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Hold each reply this long (default 0). */
  replyDelayMs?: number;
  /** Hold the greeting as well (default true when replyDelayMs is set). */
  delayGreeting?: boolean;
  /** Reply to every RCPT TO (default `250 2.1.5 ok`). */
  rcptReply?: string;
  /** Each RCPT TO as it arrives, with Date.now(). */
  onRcpt?: (address: string, at: number) => void;
  /** Each new connection, with the number open now (this one included) and Date.now(). */
  onConnection?: (open: number, at: number) => void;
}

export interface StallingMx {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Connections open right now. */
  readonly open: number;
  /** Most connections open at once. */
  readonly peakOpen: number;
  /** Most connections open at once, not counting those whose client already sent QUIT (closing). */
  readonly peakOpenNotQuitting: number;
  /** RCPT TO commands received. */
  readonly rcptCommands: number;
  /** Messages accepted with 250 after DATA. */
  readonly messages: number;
  /** Date.now() of the first connection, or undefined. */
  readonly firstConnectionAt: number | undefined;
  /** Forgets the peak (e.g. at a restart of the client); the next peak counts from the connections open now. */
  resetPeak(): void;
  close(): Promise<void>;
}

export async function startStallingMx(options: StallingMxOptions = {}): Promise<StallingMx> {
  const host = options.host ?? '127.0.0.1';
  const delayMs = options.replyDelayMs ?? 0;
  const delayGreeting = options.delayGreeting ?? delayMs > 0;
  const rcptReply = options.rcptReply ?? '250 2.1.5 ok';
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let peakOpen = 0;
  let peakOpenNotQuitting = 0;
  const quitting = new Set<net.Socket>();
  let rcptCommands = 0;
  let messages = 0;
  let firstConnectionAt: number | undefined;

  const later = (ms: number, action: () => void): void => {
    if (ms <= 0) return action();
    const timer = setTimeout(() => {
      timers.delete(timer);
      action();
    }, ms);
    timers.add(timer);
  };

  const server = net.createServer((socket) => {
    connections++;
    firstConnectionAt ??= Date.now();
    sockets.add(socket);
    peakOpen = Math.max(peakOpen, sockets.size);
    peakOpenNotQuitting = Math.max(peakOpenNotQuitting, sockets.size - quitting.size);
    options.onConnection?.(sockets.size, Date.now());
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      quitting.delete(socket);
    });

    let buffered = '';
    let inData = false;
    let busy = false;
    const lines: string[] = [];
    const reply = (text: string, after: () => void = () => {}): void => {
      later(delayMs, () => {
        if (!socket.destroyed) socket.write(`${text}\r\n`);
        after();
      });
    };
    const nextCommand = (): void => {
      if (busy) return;
      const line = lines.shift();
      if (line === undefined) return;
      busy = true;
      const done = (): void => {
        busy = false;
        nextCommand();
      };
      if (inData) {
        if (line === '.') {
          inData = false;
          messages++;
          return reply('250 2.0.0 queued', done);
        }
        busy = false;
        return nextCommand();
      }
      const verb = line.slice(0, 4).toUpperCase();
      switch (verb) {
        case 'EHLO':
          return reply(`250-${host}\r\n250-PIPELINING\r\n250 8BITMIME`, done);
        case 'HELO':
          return reply(`250 ${host}`, done);
        case 'MAIL':
          return reply('250 2.1.0 ok', done);
        case 'RCPT': {
          rcptCommands++;
          const address = /<([^>]*)>/.exec(line)?.[1] ?? '';
          options.onRcpt?.(address, Date.now());
          return reply(rcptReply, done);
        }
        case 'DATA':
          inData = true;
          return reply('354 go ahead', done);
        case 'RSET':
        case 'NOOP':
          return reply('250 2.0.0 ok', done);
        case 'QUIT':
          quitting.add(socket);
          return reply('221 2.0.0 bye', () => socket.end());
        default:
          return reply('502 5.5.2 command not implemented', done);
      }
    };
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      let end: number;
      while ((end = buffered.indexOf('\r\n')) !== -1) {
        lines.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 2);
      }
      nextCommand();
    });
    busy = true;
    later(delayGreeting ? delayMs : 0, () => {
      if (!socket.destroyed) socket.write(`220 ${host} ESMTP stalling test MX\r\n`);
      busy = false;
      nextCommand();
    });
  });
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    host,
    port,
    get connections() {
      return connections;
    },
    get open() {
      return sockets.size;
    },
    get peakOpen() {
      return peakOpen;
    },
    get peakOpenNotQuitting() {
      return peakOpenNotQuitting;
    },
    get rcptCommands() {
      return rcptCommands;
    },
    get messages() {
      return messages;
    },
    get firstConnectionAt() {
      return firstConnectionAt;
    },
    resetPeak() {
      peakOpen = sockets.size;
      peakOpenNotQuitting = sockets.size - quitting.size;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
