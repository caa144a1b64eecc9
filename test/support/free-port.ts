/**
 * A TCP port on 127.0.0.1 that was free a moment ago: for a server that must
 * know its own address before it listens (Outpost's OUTPOST_PUBLIC_URL, a
 * daemon's config file). Port 0 is better wherever the address can be read
 * back after listening.
 */
import net from 'node:net';

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
