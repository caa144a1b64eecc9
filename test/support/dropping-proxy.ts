/**
 * A TCP proxy on 127.0.0.1 in front of a test server that can lose an answer:
 * for the connections a test picks, it forwards the whole request but cuts
 * both sides the moment the first byte of the response comes back, so the
 * server has done the work and the client never hears of it (the case an
 * Idempotency-Key exists for). Other connections pass through untouched.
 */
import net, { type AddressInfo, type Socket } from 'node:net';

export interface DroppingProxy {
  /** host:port to point the client at. */
  address: string;
  /** Connections accepted so far. */
  connections: number;
  /** Answers cut so far. */
  dropped: number;
  close(): Promise<void>;
}

/** `dropAnswerOn(n)`: whether to cut the answer on the n-th connection (1-based). */
export async function startDroppingProxy(target: string, dropAnswerOn: (connection: number) => boolean): Promise<DroppingProxy> {
  const [host, port] = [target.slice(0, target.lastIndexOf(':')), Number(target.slice(target.lastIndexOf(':') + 1))];
  const sockets = new Set<Socket>();
  const state = { connections: 0, dropped: 0 };
  const server = net.createServer((client) => {
    const connection = ++state.connections;
    const upstream = net.connect(port, host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    if (dropAnswerOn(connection)) {
      upstream.once('data', () => {
        state.dropped++;
        client.destroy();
        upstream.destroy();
      });
    } else {
      upstream.pipe(client);
    }
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return state.connections;
    },
    get dropped() {
      return state.dropped;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
