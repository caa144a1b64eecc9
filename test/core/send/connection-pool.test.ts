/**
 * A connection counts against maxConnectionsPerDomain from the moment it
 * starts connecting until its socket is closed: QUIT in progress and idle
 * sessions included. A QUIT that is never answered is cut after
 * closeTimeoutMs instead of holding its slot. The destination is a real
 * smtp-server behind a gate that holds back each QUIT and counts the
 * connections open at once, as the destination sees them (one is over when
 * the client's FIN or reset arrives).
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { DeliveryConfig } from '../../../config/index.js';
import type { Outpost } from '../../../core/server.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

const PER_DOMAIN = 2;
const MESSAGES = 12;
/** How long the gate holds each QUIT: longer than a delivery, so closing and new sessions would overlap. */
const QUIT_DELAY_MS = 300;

interface QuitGate {
  port: number;
  /** Client connections accepted so far. */
  readonly connections: number;
  /** Most client connections open at once. */
  readonly peakOpen: number;
  /** QUIT commands held back. */
  readonly quits: number;
  /** Connections the client cut while its QUIT was still held back (no 221 seen). */
  readonly cutWhileQuitting: number;
  close(): Promise<void>;
}

/** A TCP gate in front of the MX on `targetPort`: passes bytes both ways, holding each QUIT `quitDelayMs` (Infinity: for good). */
async function startQuitGate(targetPort: number, quitDelayMs: number): Promise<QuitGate> {
  const open = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let connections = 0;
  let peakOpen = 0;
  let quits = 0;
  let cutWhileQuitting = 0;

  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    connections++;
    open.add(client);
    peakOpen = Math.max(peakOpen, open.size);
    // the client's FIN ends the connection for the destination, whatever the client does with its socket after
    let quitHeld = false;
    const over = (): void => {
      if (open.delete(client) && quitHeld) cutWhileQuitting++;
    };
    client.on('end', over);
    client.on('close', () => {
      over();
      upstream.destroy();
    });
    upstream.on('close', () => client.end());
    upstream.on('data', (chunk: Buffer) => client.write(chunk));

    let held: Buffer[] | undefined;
    client.on('data', (chunk: Buffer) => {
      if (held) return void held.push(chunk);
      if (!/^QUIT\r\n/i.test(chunk.toString('latin1'))) return void upstream.write(chunk);
      quits++;
      quitHeld = true;
      held = [chunk];
      if (quitDelayMs === Infinity) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        quitHeld = false;
        upstream.write(Buffer.concat(held!));
      }, quitDelayMs);
      timers.add(timer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    get peakOpen() {
      return peakOpen;
    },
    get quits() {
      return quits;
    },
    get cutWhileQuitting() {
      return cutWhileQuitting;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
    },
  };
}

describe('connection pool: a connection counts against the per-domain limit until its socket closes', () => {
  let dns: TestDnsServer | undefined;
  let mx: TestMxServer | undefined;
  let gate: QuitGate | undefined;
  let server: TestOutpost | undefined;

  afterEach(async () => {
    await server?.close();
    await gate?.close();
    await mx?.close();
    await dns?.close();
    server = undefined;
    gate = undefined;
    mx = undefined;
    dns = undefined;
  });

  /** The MX behind a gate, and Outpost delivering through it with `delivery` settings. */
  async function startBehindGate(options: { tls?: boolean; quitDelayMs: number; delivery: Partial<DeliveryConfig> }): Promise<{ gate: QuitGate; outpost: Outpost }> {
    mx = await startMxServer({ tls: options.tls ?? false });
    const opened = await startQuitGate(mx.port, options.quitDelayMs);
    gate = opened;
    dns = await startDnsServer({
      'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'other.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'mx.dest.test': { A: ['127.0.0.1'] },
    });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: opened.port, tune: (config) => Object.assign(config.delivery, options.delivery) });
    return { gate: opened, outpost: server.outpost };
  }

  function send(outpost: Outpost, to: string, options: { verifyCert?: boolean } = {}) {
    return outpost.submit({ from: 'a@outpost.test', to: [to], raw: rawMessage({ from: 'a@outpost.test', to: [to] }), source: 'internal', options });
  }

  /** maxMessagesPerConnection 1: every message ends with a QUIT. */
  async function sendThroughGate(quitDelayMs: number, closeTimeoutMs: number): Promise<QuitGate> {
    const started = await startBehindGate({ quitDelayMs, delivery: { maxConnectionsPerDomain: PER_DOMAIN, maxMessagesPerConnection: 1, closeTimeoutMs } });
    for (let index = 0; index < MESSAGES; index++) await send(started.outpost, `user${index}@dest.test`);
    return started.gate;
  }

  it(`never has more than ${PER_DOMAIN} connections open while each QUIT takes ${QUIT_DELAY_MS} ms`, async () => {
    const quitGate = await sendThroughGate(QUIT_DELAY_MS, 5_000);
    await mx!.waitForMessages(MESSAGES, 15_000);
    assert.equal(new Set(mx!.messages.map((message) => message.connectionId)).size, MESSAGES, 'one connection per message');
    assert.ok(quitGate.quits >= MESSAGES - PER_DOMAIN, `${quitGate.quits} QUITs held back`);
    assert.equal(quitGate.cutWhileQuitting, 0, 'every QUIT was waited for');
    assert.equal(quitGate.peakOpen, PER_DOMAIN, `peak ${quitGate.peakOpen} connections for a limit of ${PER_DOMAIN}`);
  });

  it('cuts a connection whose QUIT is never answered after closeTimeoutMs, so the domain keeps its slots', async () => {
    const quitGate = await sendThroughGate(Infinity, 200);
    await mx!.waitForMessages(MESSAGES, 15_000);
    // every connection but the last ones (maybe still closing) was cut by the timeout, not left hanging
    assert.ok(quitGate.cutWhileQuitting >= MESSAGES - PER_DOMAIN, `${quitGate.cutWhileQuitting} connections cut while quitting`);
    assert.equal(quitGate.peakOpen, PER_DOMAIN, `peak ${quitGate.peakOpen} connections for a limit of ${PER_DOMAIN}`);
  });

  it('closes an idle session that does not meet the next message\'s TLS requirement before opening one that does', async () => {
    // the idle session would otherwise sit for a minute; the limit of 1 leaves no room beside it
    const started = await startBehindGate({ tls: true, quitDelayMs: 0, delivery: { maxConnectionsPerDomain: 1, idleConnectionMs: 60_000 } });
    const plain = await send(started.outpost, 'first@dest.test');
    assert.equal((await waitForStatus(started.outpost, plain.id, allFinal)).recipients[0]!.status, 'delivered');
    // STARTTLS without a checked certificate does not do for verify_cert, and the test MX's is self-signed
    const verified = await send(started.outpost, 'second@dest.test', { verifyCert: true });
    const view = await waitForStatus(started.outpost, verified.id, (current) => current.recipients[0]!.status === 'deferred', 5_000);
    assert.match(view.recipients[0]!.lastResponse!, /certificate/i);
    assert.ok(started.gate.connections >= 2, 'a new session for the second message');
    assert.equal(started.gate.peakOpen, 1, 'the idle one was closed first');
  });

  it('keeps all domains together within maxConnections: another domain\'s idle sessions close to make room', async () => {
    // idle sessions would otherwise sit for a minute; both domains share the one MX behind the gate
    const started = await startBehindGate({ quitDelayMs: 0, delivery: { maxConnections: 2, maxConnectionsPerDomain: 2, idleConnectionMs: 60_000 } });
    const first = await Promise.all(['a1@dest.test', 'a2@dest.test'].map((to) => send(started.outpost, to)));
    for (const receipt of first) await waitForStatus(started.outpost, receipt.id, allFinal);
    const second = await Promise.all(['b1@other.test', 'b2@other.test'].map((to) => send(started.outpost, to)));
    for (const receipt of second) assert.equal((await waitForStatus(started.outpost, receipt.id, allFinal)).recipients[0]!.status, 'delivered');
    assert.ok(started.gate.connections >= 3, `other.test got sessions of its own (${started.gate.connections} connections in all)`);
    assert.equal(started.gate.peakOpen, 2, `peak ${started.gate.peakOpen} connections for a total limit of 2`);
  });
});
