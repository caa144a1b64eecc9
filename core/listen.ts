/**
 * Binding a listener, with the one-line error the SPEC asks for when a port
 * cannot be bound: which port, why, and which variable to change.
 */
import type { Server } from 'node:net';
import { outpostError } from './errors.js';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'address already in use',
  EACCES: 'permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)',
  EADDRNOTAVAIL: 'address not available on this machine',
};

export function listen(server: Server, host: string, port: number, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const reason = REASONS[error.code ?? ''] ?? error.message;
      reject(outpostError('port_unavailable', `cannot listen on ${host}:${port}: ${reason}; set ${variable} to a free port (or off to disable it)`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
