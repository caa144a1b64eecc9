// Authoritative test DNS server on 127.0.0.1 (UDP and TCP on one port) whose
// zone tests edit at runtime. Point Outpost at it with
// OUTPOST_DNS_SERVERS=<server.address> so MX/A/AAAA/TXT lookups never leave the
// machine.

import type { AddressInfo, Socket } from 'node:net';
import { Packet, TCPServer, UDPServer } from 'dns2';
import type { DnsHandler, Question, Resource } from 'dns2';

export interface DnsRecords {
  /** A null MX (RFC 7505) is `{ exchange: '', priority: 0 }`. */
  MX?: { exchange: string; priority: number }[];
  A?: string[];
  AAAA?: string[];
  /** Any length; sent as 255-byte strings. Node's resolveTxt decodes each string as latin1, so keep to ASCII. */
  TXT?: string[];
}

/** Keys are domain names, compared case-insensitively and without a trailing dot. */
export interface DnsZone {
  [name: string]: DnsRecords;
}

export interface DnsQuery {
  name: string;
  /** 'MX', 'A', 'AAAA', 'TXT', ... or 'TYPE<n>' for a type dns2 has no name for. */
  type: string;
}

export interface DnsServerOptions {
  /** TTL of every answer, in seconds (default 0: never cacheable). */
  ttlSeconds?: number;
}

export interface TestDnsServer {
  /** '127.0.0.1:PORT', the form OUTPOST_DNS_SERVERS and Resolver#setServers take. */
  address: string;
  port: number;
  /** The live zone: changes (here or through set/delete) apply to the next query. */
  zone: DnsZone;
  /** Replaces every record of `name`. */
  set(name: string, records: DnsRecords): void;
  /** Removes `name`, so it answers NXDOMAIN. */
  delete(name: string): void;
  /** Every question asked, in arrival order (names normalised to lower case). */
  queries: DnsQuery[];
  /** Idempotent. */
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';

// TTL 0 by default because tests change the zone mid-run: no cache on the way
// (Outpost's own, or c-ares's query cache, which Node 20's Resolver leaves off
// but newer releases may not) may keep serving records a test has replaced.
const DEFAULT_TTL_SECONDS = 0;

// A TXT <character-string> carries a one-byte length (RFC 1035 §3.3), so a
// longer record has to go out as several strings. dns2 writes the length with
// `& 0xff` and does not split, which corrupts the packet (Node: EBADRESP).
const MAX_CHARACTER_STRING_BYTES = 255;

// Binding the TCP listener to the port the kernel gave UDP can fail when some
// other process holds that TCP port; a fresh UDP port almost always fixes it.
const BIND_ATTEMPTS = 10;

const RCODE_NXDOMAIN = 3;

const typeNamesByCode = new Map<number, string>(
  Object.entries(Packet.TYPE).map(([typeName, code]) => [code, typeName]),
);

export function normaliseDomain(name: string): string {
  return name.toLowerCase().replace(/\.+$/, '');
}

/** Splits on character boundaries so that no UTF-8 sequence straddles two strings. */
export function splitTxt(text: string): string[] {
  const chunks: string[] = [];
  let current = '';
  let currentBytes = 0;
  for (const character of text) {
    const characterBytes = Buffer.byteLength(character);
    if (currentBytes + characterBytes > MAX_CHARACTER_STRING_BYTES) {
      chunks.push(current);
      current = '';
      currentBytes = 0;
    }
    current += character;
    currentBytes += characterBytes;
  }
  // An empty TXT record still needs one (empty) string: RDATA may not be empty.
  if (current !== '' || chunks.length === 0) chunks.push(current);
  return chunks;
}

function findRecords(zone: DnsZone, name: string): DnsRecords | undefined {
  const wanted = normaliseDomain(name);
  // Scan rather than index: tests may add keys to `zone` directly, in any case.
  for (const [zoneName, records] of Object.entries(zone)) {
    if (normaliseDomain(zoneName) === wanted) return records;
  }
  return undefined;
}

function answersFor(question: Question, records: DnsRecords, ttl: number): Partial<Resource>[] {
  const base = { name: question.name, class: Packet.CLASS.IN, ttl };
  switch (question.type) {
    case Packet.TYPE.MX:
      // dns2 drops empty labels, so exchange '' (or '.') goes out as the bare
      // root name, a single zero octet: exactly the RFC 7505 null MX, which
      // Node reports as exchange ''.
      return (records.MX ?? []).map(({ exchange, priority }) => ({ ...base, type: Packet.TYPE.MX, exchange, priority }));
    case Packet.TYPE.A:
      return (records.A ?? []).map((address) => ({ ...base, type: Packet.TYPE.A, address }));
    case Packet.TYPE.AAAA:
      return (records.AAAA ?? []).map((address) => ({ ...base, type: Packet.TYPE.AAAA, address }));
    case Packet.TYPE.TXT:
      return (records.TXT ?? []).map((text) => ({ ...base, type: Packet.TYPE.TXT, data: splitTxt(text) }));
    default:
      // Known name, unsupported type: NODATA, like a real zone without that RRset.
      return [];
  }
}

/** `initialZone` is used as the live zone itself, not copied: editing it later changes the answers. */
export async function startDnsServer(initialZone: DnsZone = {}, options: DnsServerOptions = {}): Promise<TestDnsServer> {
  const zone: DnsZone = initialZone;
  const ttl = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const queries: DnsQuery[] = [];

  const handleRequest: DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    for (const question of request.questions) {
      queries.push({
        name: normaliseDomain(question.name),
        type: typeNamesByCode.get(question.type) ?? `TYPE${question.type}`,
      });
      const records = findRecords(zone, question.name);
      if (!records) {
        response.header.rcode = RCODE_NXDOMAIN;
        continue;
      }
      for (const answer of answersFor(question, records, ttl)) {
        response.answers.push(Packet.createResourceFromQuestion(question, answer));
      }
    }
    // The UDP send returns a promise that rejects if the socket closed
    // meanwhile (a test finishing early); that must not become an
    // unhandled rejection that fails an unrelated test.
    Promise.resolve(send(response)).catch(() => {});
  };

  const { udpServer, tcpServer, port } = await bindUdpAndTcpOnSamePort(handleRequest);

  // c-ares keeps TCP connections open between queries and dns2 only drops them
  // after a 10 s idle timeout, so close() has to end them itself.
  const tcpSockets = new Set<Socket>();
  tcpServer.on('connection', (socket: Socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
  });

  let closing: Promise<void> | undefined;

  const deleteName = (name: string): void => {
    const wanted = normaliseDomain(name);
    for (const zoneName of Object.keys(zone)) {
      if (normaliseDomain(zoneName) === wanted) delete zone[zoneName];
    }
  };

  return {
    address: `${LOOPBACK}:${port}`,
    port,
    zone,
    queries,
    set(name, records) {
      // Drop spellings that differ only in case, so exactly one entry answers.
      deleteName(name);
      zone[normaliseDomain(name)] = records;
    },
    delete: deleteName,
    close() {
      // Memoised: dgram throws when closed twice, and a test plus its after-hook may both close.
      closing ??= (async () => {
        for (const socket of tcpSockets) socket.destroy();
        await Promise.all([
          new Promise<void>((resolve) => tcpServer.close(() => resolve())),
          new Promise<void>((resolve) => udpServer.close(() => resolve())),
        ]);
      })();
      return closing;
    },
  };
}

/**
 * Node's resolver (c-ares) falls back to TCP on the same port when a UDP answer
 * is truncated, so both must share one port. Listening with port 0 in dns2
 * would pick two unrelated ports (and TCP on all interfaces), hence: UDP first
 * on 127.0.0.1:0, then TCP on 127.0.0.1 at whatever port UDP got.
 */
async function bindUdpAndTcpOnSamePort(
  handleRequest: DnsHandler,
): Promise<{ udpServer: UDPServer; tcpServer: TCPServer; port: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    const udpServer = new UDPServer(handleRequest);
    await new Promise<void>((resolve, reject) => {
      udpServer.once('error', reject);
      udpServer.bind(0, LOOPBACK, () => {
        udpServer.off('error', reject);
        resolve();
      });
    });
    // A dgram socket without an 'error' listener would crash the process on a late send error.
    udpServer.on('error', () => {});
    const port = udpServer.address().port;

    const tcpServer = new TCPServer(handleRequest);
    try {
      await new Promise<void>((resolve, reject) => {
        tcpServer.once('error', reject);
        tcpServer.listen(port, LOOPBACK, () => {
          tcpServer.off('error', reject);
          resolve();
        });
      });
      tcpServer.on('error', () => {});
      const tcpPort = (tcpServer.address() as AddressInfo).port;
      if (tcpPort !== port) throw new Error(`TCP listener got port ${tcpPort}, expected ${port}`);
      return { udpServer, tcpServer, port };
    } catch (error) {
      lastError = error;
      await new Promise<void>((resolve) => udpServer.close(() => resolve()));
    }
  }
  throw new Error(`could not bind UDP and TCP to one port on ${LOOPBACK}: ${String(lastError)}`);
}
