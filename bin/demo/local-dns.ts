/**
 * The demo's DNS server (dns2) on 127.0.0.1: answers A, MX and TXT for the few
 * names the demo publishes, NXDOMAIN for anything else, so Outpost's lookups
 * (MX to deliver, TXT to verify a domain) never leave the machine. UDP and TCP
 * share one port (node's resolver retries a truncated answer over TCP on the
 * same port), and long TXT values go out as 255-byte strings as RFC 1035 wants.
 * It must never bind anything but loopback, nor outlive close().
 */
import type { AddressInfo, Socket } from 'node:net';
import { Packet, TCPServer, UDPServer, type DnsHandler, type Question, type Resource } from 'dns2';

export interface NameRecords {
  A?: string[];
  MX?: { exchange: string; priority: number }[];
  TXT?: string[];
}

export interface LocalDns {
  /** `127.0.0.1:PORT`, as OUTPOST_DNS_SERVERS takes it. */
  address: string;
  /** Replaces the records of `name`. */
  set(name: string, records: NameRecords): void;
  /** Publishes one record as Outpost lists it in a domain's dns_records (a TXT replaces one of the same kind, e.g. v=spf1). */
  publish(record: { type: string; name: string; value: string; priority?: number }): void;
  close(): Promise<void>;
}

const LOOPBACK = '127.0.0.1';
/** A TXT <character-string> has a one-byte length. */
const MAX_TXT_STRING_BYTES = 255;
/** Answers are not cached: the demo publishes records while it runs. */
const TTL_SECONDS = 0;
const NXDOMAIN = 3;
const BIND_ATTEMPTS = 10;

const normalise = (name: string) => name.toLowerCase().replace(/\.+$/, '');

export async function startLocalDns(): Promise<LocalDns> {
  const zone = new Map<string, NameRecords>();

  const answer: DnsHandler = (request, send) => {
    const response = Packet.createResponseFromRequest(request);
    response.header.aa = 1;
    for (const question of request.questions) {
      const records = zone.get(normalise(question.name));
      if (!records) {
        response.header.rcode = NXDOMAIN;
        continue;
      }
      for (const resource of resourcesFor(question, records)) response.answers.push(Packet.createResourceFromQuestion(question, resource));
    }
    // a client gone before the answer (the demo stopping) is no failure
    Promise.resolve(send(response)).catch(() => undefined);
  };

  const { udp, tcp, port } = await bindOnePort(answer);
  const connections = new Set<Socket>();
  tcp.on('connection', (socket: Socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });

  return {
    address: `${LOOPBACK}:${port}`,
    set: (name, records) => void zone.set(normalise(name), records),
    publish({ type, name, value, priority }) {
      const records = zone.get(normalise(name)) ?? {};
      if (type === 'MX') {
        records.MX = [{ exchange: value, priority: priority ?? 10 }];
      } else {
        const kind = value.split(/[\s;]/)[0];
        records.TXT = [...(records.TXT ?? []).filter((existing) => existing.split(/[\s;]/)[0] !== kind), value];
      }
      zone.set(normalise(name), records);
    },
    async close() {
      // node's resolver keeps TCP connections open; dns2 would wait for them
      for (const socket of connections) socket.destroy();
      await Promise.all([new Promise<void>((resolve) => tcp.close(() => resolve())), new Promise<void>((resolve) => udp.close(() => resolve()))]);
    },
  };
}

function resourcesFor(question: Question, records: NameRecords): Partial<Resource>[] {
  const base = { name: question.name, class: Packet.CLASS.IN, ttl: TTL_SECONDS };
  switch (question.type) {
    case Packet.TYPE.A:
      return (records.A ?? []).map((address) => ({ ...base, type: Packet.TYPE.A, address }));
    case Packet.TYPE.MX:
      return (records.MX ?? []).map(({ exchange, priority }) => ({ ...base, type: Packet.TYPE.MX, exchange, priority }));
    case Packet.TYPE.TXT:
      return (records.TXT ?? []).map((text) => ({ ...base, type: Packet.TYPE.TXT, data: txtStrings(text) }));
    default:
      return [];
  }
}

/** The value cut into 255-byte strings (the records Outpost asks for are ASCII). */
function txtStrings(text: string): string[] {
  const strings: string[] = [];
  for (let start = 0; start < text.length; start += MAX_TXT_STRING_BYTES) strings.push(text.slice(start, start + MAX_TXT_STRING_BYTES));
  return strings.length > 0 ? strings : [''];
}

/** UDP on a free loopback port first, then TCP on the same one (another process may hold it: try a new port). */
async function bindOnePort(answer: DnsHandler): Promise<{ udp: UDPServer; tcp: TCPServer; port: number }> {
  let lastError: unknown;
  for (let attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
    const udp = new UDPServer(answer);
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject);
      udp.bind(0, LOOPBACK, () => {
        udp.off('error', reject);
        resolve();
      });
    });
    udp.on('error', () => undefined);
    const port = udp.address().port;
    const tcp = new TCPServer(answer);
    try {
      await new Promise<void>((resolve, reject) => {
        tcp.once('error', reject);
        tcp.listen(port, LOOPBACK, () => {
          tcp.off('error', reject);
          resolve();
        });
      });
      tcp.on('error', () => undefined);
      if ((tcp.address() as AddressInfo).port !== port) throw new Error('TCP got another port');
      return { udp, tcp, port };
    } catch (error) {
      lastError = error;
      await new Promise<void>((resolve) => udp.close(() => resolve()));
    }
  }
  throw new Error(`could not bind the demo DNS server (UDP and TCP on one port of ${LOOPBACK}): ${String(lastError)}`);
}
