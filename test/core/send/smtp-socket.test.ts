// Tests core/delivery/smtp-socket.ts openSmtpSocket against raw TCP servers: greeting handling, discarded early bytes, failures.
import assert from 'node:assert/strict';
import net from 'node:net';
import { once } from 'node:events';
import { openSmtpSocket, SmtpSocketError, type GreetedSocket } from '../../../core/send/smtp-socket.js';

interface RawServer {
  port: number;
  /** Server-side sockets accepted so far. */
  accepted: net.Socket[];
  close(): Promise<void>;
}

/** A TCP server on 127.0.0.1:0 that runs `onConnection` for each client. */
async function startServer(onConnection: (socket: net.Socket) => void): Promise<RawServer> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => {
    accepted.push(socket);
    socket.on('error', () => undefined);
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted,
    async close() {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Everything the client socket yields until the server ends the connection. */
async function readAll(socket: net.Socket): Promise<string> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const ended = once(socket, 'end');
  socket.resume();
  await ended;
  return Buffer.concat(chunks).toString('latin1');
}

const options = (port: number, overrides: Partial<Parameters<typeof openSmtpSocket>[0]> = {}) => ({
  ip: '127.0.0.1',
  port,
  connectTimeoutMs: 5000,
  greetingTimeoutMs: 5000,
  ...overrides,
});

describe('openSmtpSocket', () => {
  let server: RawServer | undefined;
  let client: GreetedSocket | undefined;

  afterEach(async () => {
    client?.socket.destroy();
    client = undefined;
    await server?.close();
    server = undefined;
  });

  it('returns a normal greeting and leaves exactly it to be read again', async () => {
    server = await startServer((socket) => socket.end('220 ready\r\n'));
    client = await openSmtpSocket(options(server.port));
    client.socket.on('error', () => undefined);
    assert.equal(client.greeting, '220 ready');
    assert.equal(client.discardedBytes, 0);
    assert.equal(client.socket.isPaused(), true, 'the socket is handed over paused');
    assert.equal(await readAll(client.socket), '220 ready\r\n');
  });

  it('discards replies that arrive with the greeting before anything was asked', async () => {
    const injected = '250 injected\r\n';
    server = await startServer((socket) => socket.end(`220 hi\r\n${injected}`));
    client = await openSmtpSocket(options(server.port));
    client.socket.on('error', () => undefined);
    assert.equal(client.greeting, '220 hi');
    assert.equal(client.discardedBytes, injected.length);
    assert.equal(await readAll(client.socket), '220 hi\r\n');
  });

  it('still delivers bytes the server sends after the client speaks', async () => {
    server = await startServer((socket) => {
      socket.write('220 hi\r\n250 injected\r\n');
      socket.once('data', () => socket.end('250 real answer\r\n'));
    });
    client = await openSmtpSocket(options(server.port));
    client.socket.on('error', () => undefined);
    assert.ok(client.discardedBytes > 0);
    client.socket.write('EHLO client.test\r\n');
    assert.equal(await readAll(client.socket), '220 hi\r\n250 real answer\r\n');
  });

  it('keeps a multi-line greeting whole', async () => {
    server = await startServer((socket) => socket.end('220-a\r\n220 b\r\n'));
    client = await openSmtpSocket(options(server.port));
    client.socket.on('error', () => undefined);
    assert.equal(client.greeting, '220-a\r\n220 b');
    assert.equal(client.discardedBytes, 0);
    assert.equal(await readAll(client.socket), '220-a\r\n220 b\r\n');
  });

  it('accepts a bare-LF greeting', async () => {
    server = await startServer((socket) => socket.end('220-a\n220 b\n'));
    client = await openSmtpSocket(options(server.port));
    client.socket.on('error', () => undefined);
    assert.equal(client.greeting, '220-a\n220 b');
    assert.equal(client.discardedBytes, 0);
  });

  it('rejects when the server closes before its greeting', async () => {
    server = await startServer((socket) => socket.end());
    await assert.rejects(openSmtpSocket(options(server.port)), (error: unknown) => {
      assert.ok(error instanceof SmtpSocketError);
      assert.match(error.message, /closed/);
      return true;
    });
  });

  it('rejects when the server closes in the middle of a multi-line greeting', async () => {
    server = await startServer((socket) => socket.end('220-first line\r\n'));
    await assert.rejects(openSmtpSocket(options(server.port)), /closed the connection before its greeting/);
  });

  it('rejects when no greeting comes within greetingTimeoutMs', async () => {
    server = await startServer(() => undefined);
    const started = performance.now();
    await assert.rejects(openSmtpSocket(options(server.port, { greetingTimeoutMs: 100 })), (error: unknown) => {
      assert.ok(error instanceof SmtpSocketError);
      assert.match(error.message, /no greeting/);
      assert.match(error.message, /100 ms/);
      return true;
    });
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 90, `gave up after ${elapsed} ms`);
    assert.equal(server.accepted.length, 1, 'the connection itself was made');
  });

  it('rejects a greeting over 64 KB without a line end', async () => {
    server = await startServer((socket) => socket.write(`220 ${'x'.repeat(70 * 1024)}`));
    await assert.rejects(openSmtpSocket(options(server.port)), /over 64 KB/);
  });

  it('rejects at once when the signal is already aborted', async () => {
    server = await startServer((socket) => socket.end('220 ready\r\n'));
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(openSmtpSocket({ ...options(server.port), signal: controller.signal }), (error: unknown) => {
      assert.ok(error instanceof SmtpSocketError);
      assert.match(error.message, /cancelled/);
      return true;
    });
  });

  it('rejects when the signal is aborted while waiting for the greeting', async () => {
    const controller = new AbortController();
    server = await startServer(() => controller.abort());
    const started = performance.now();
    await assert.rejects(openSmtpSocket({ ...options(server.port), signal: controller.signal }), /cancelled/);
    assert.ok(performance.now() - started < 4000, 'did not wait for the greeting timeout');
  });

  it('rejects when the connection is refused', async () => {
    const probe = net.createServer();
    probe.listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    await assert.rejects(openSmtpSocket(options(port)), (error: unknown) => {
      assert.equal((error as NodeJS.ErrnoException).code, 'ECONNREFUSED');
      return true;
    });
  });
});
