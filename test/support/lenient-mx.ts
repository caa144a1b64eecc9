// A deliberately sloppy destination MX for SMTP-smuggling tests. Like the
// lenient receivers the smuggling attacks rely on, it takes a bare LF as a
// line end everywhere and ends DATA at a "." line ended by LF with or without
// CR. So if Outpost ever relays "\n.\n" or "\n.\r\n" inside a message body,
// the text after it shows up here as commands, and typically as a second,
// forged message in `messages`.

import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { MessageLog } from './message-log.js';

export interface LenientMessage {
  mailFrom: string;
  rcptTo: string[];
  /** The body as this server understood it: dot-unstuffed, original line endings kept, final "." line excluded. */
  raw: string;
}

export interface LenientMx {
  port: number;
  messages: LenientMessage[];
  /** TCP connections accepted so far. */
  connections: number;
  /** Resolves with all messages so far once there are at least `count`; rejects after `timeoutMs` (default 5000). */
  waitForMessages(count: number, timeoutMs?: number): Promise<LenientMessage[]>;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
const LF = 0x0a;

interface SessionState {
  mailFrom: string | undefined;
  rcptTo: string[];
  inData: boolean;
  /** Body lines with their original terminators. */
  dataLines: Buffer[];
}

/** The address between the angle brackets (parameters like SIZE= ignored), or the bare word if there are none. */
function commandAddress(argument: string): string {
  const bracketed = /<([^>]*)>/.exec(argument);
  if (bracketed) return bracketed[1] ?? '';
  return argument.trim().split(/\s+/)[0] ?? '';
}

export async function startLenientMx(): Promise<LenientMx> {
  const messageLog = new MessageLog<LenientMessage>('lenient MX server');
  const sockets = new Set<net.Socket>();
  let connections = 0;

  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // Clients cutting the connection must not crash the test process.
    socket.on('error', () => {});

    const state: SessionState = { mailFrom: undefined, rcptTo: [], inData: false, dataLines: [] };
    let pending: Buffer = Buffer.alloc(0);
    const reply = (line: string): void => {
      if (socket.writable) socket.write(`${line}\r\n`);
    };
    const resetTransaction = (): void => {
      state.mailFrom = undefined;
      state.rcptTo = [];
      state.inData = false;
      state.dataLines = [];
    };

    const handleDataLine = (lineWithEnding: Buffer): void => {
      // The leniency under test: "." followed by LF alone counts as the end.
      const content = lineWithEnding.toString('latin1').replace(/\r?\n$/, '');
      if (content === '.') {
        messageLog.push({
          mailFrom: state.mailFrom ?? '',
          rcptTo: state.rcptTo,
          raw: Buffer.concat(state.dataLines).toString('utf8'),
        });
        resetTransaction();
        reply(`250 2.0.0 OK message ${messageLog.items.length} queued`);
        return;
      }
      // RFC 5321 §4.5.2: drop the first of any leading dot ("..x" -> ".x").
      state.dataLines.push(lineWithEnding[0] === 0x2e ? lineWithEnding.subarray(1) : lineWithEnding);
    };

    const handleCommand = (line: string): void => {
      const [, verb = '', argument = ''] = /^(\S*)\s*(.*)$/s.exec(line) ?? [];
      switch (verb.toUpperCase()) {
        case 'EHLO':
          reply('250-lenient.test greets you');
          reply('250-PIPELINING');
          reply('250 8BITMIME');
          return;
        case 'HELO':
          reply('250 lenient.test');
          return;
        case 'MAIL':
          if (!/^FROM:/i.test(argument)) return reply('501 5.5.4 syntax: MAIL FROM:<address>');
          resetTransaction();
          state.mailFrom = commandAddress(argument.slice('FROM:'.length));
          return reply('250 2.1.0 OK');
        case 'RCPT':
          if (state.mailFrom === undefined) return reply('503 5.5.1 need MAIL first');
          if (!/^TO:/i.test(argument)) return reply('501 5.5.4 syntax: RCPT TO:<address>');
          state.rcptTo.push(commandAddress(argument.slice('TO:'.length)));
          return reply('250 2.1.5 OK');
        case 'DATA':
          if (state.rcptTo.length === 0) return reply('503 5.5.1 need RCPT first');
          state.inData = true;
          return reply('354 end data with <CRLF>.<CRLF> (or whatever you like)');
        case 'RSET':
          resetTransaction();
          return reply('250 2.0.0 OK');
        case 'NOOP':
          return reply('250 2.0.0 OK');
        case 'QUIT':
          reply('221 2.0.0 bye');
          socket.end();
          return;
        default:
          return reply('502 5.5.2 command not implemented');
      }
    };

    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // Commands and body lines are both split at every LF, CR or not; pipelined
      // commands are simply the next lines in the buffer.
      let lineEnd: number;
      while ((lineEnd = pending.indexOf(LF)) !== -1) {
        const lineWithEnding = pending.subarray(0, lineEnd + 1);
        pending = pending.subarray(lineEnd + 1);
        if (state.inData) {
          handleDataLine(lineWithEnding);
        } else {
          handleCommand(lineWithEnding.toString('utf8').replace(/\r?\n$/, ''));
        }
        if (socket.destroyed || !socket.writable) return;
      }
    });

    reply('220 lenient.test ESMTP');
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, LOOPBACK, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  return {
    port,
    messages: messageLog.items,
    get connections() {
      return connections;
    },
    waitForMessages: (count, timeoutMs) => messageLog.waitFor(count, timeoutMs),
    async close() {
      messageLog.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}
