/**
 * The benchmarks' destination: a fast SMTP sink on 127.0.0.1 that counts the
 * messages it accepted and notes when the count reached a given number. It is
 * Postfix's smtp-sink (C, single process, the tool the issue asks for) with
 * `-c`, whose running counters ("sess=.. quit=.. mesg=N", one update per line
 * ending in CR) are read from its stdout; without Postfix installed it falls
 * back to the test smtp-server sink inside the bench process (slower, and its
 * CPU then competes with the client's), and says so in `kind`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../../test/support/free-port.js';

export { freePort };
import { startMxServer, type TestMxServer } from '../../test/support/mx-server.js';

export const SMTP_SINK = '/usr/sbin/smtp-sink';

export interface CountingSink {
  kind: 'smtp-sink (Postfix)' | 'smtp-server in the bench process';
  port: number;
  /** Messages accepted so far (the final "." answered 250). */
  readonly count: number;
  /** Resolves with Date.now() at the moment the count reached `count`; rejects after `timeoutMs`. */
  reached(count: number, timeoutMs: number): Promise<number>;
  close(): Promise<void>;
}

/** A port free on 127.0.0.1 right now (for programs that need a port number up front). */
async function waitUntilListening(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`smtp-sink exited with ${child.exitCode}`);
    const connected = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (connected) return;
    if (Date.now() > deadline) throw new Error(`smtp-sink did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface Waiter {
  count: number;
  resolve: (at: number) => void;
}

function reachedFor(current: () => number, waiters: Set<Waiter>) {
  return (count: number, timeoutMs: number): Promise<number> => {
    if (current() >= count) return Promise.resolve(Date.now());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(new Error(`the sink has ${current()} of ${count} messages after ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        count,
        resolve: (at) => {
          clearTimeout(timer);
          resolve(at);
        },
      };
      waiters.add(waiter);
    });
  };
}

function settle(waiters: Set<Waiter>, count: number): void {
  const now = Date.now();
  for (const waiter of waiters) {
    if (count >= waiter.count) {
      waiters.delete(waiter);
      waiter.resolve(now);
    }
  }
}

/** smtp-sink processes of this process, killed when it exits, even on SIGTERM/SIGINT (run-all's timeout, Ctrl-C). */
const sinkProcesses = new Set<ChildProcess>();
let exitHooked = false;
function killSinksOnExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const child of sinkProcesses) child.kill('SIGTERM');
  });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => process.exit(128 + (signal === 'SIGTERM' ? 15 : 2)));
}

export async function startCountingSink(): Promise<CountingSink> {
  if (!existsSync(SMTP_SINK)) return startNodeSink();
  killSinksOnExit();
  const port = await freePort();
  // -u: smtp-sink insists on dropping root; -c: counters on stdout; 1024: listen backlog
  const args = ['-c', ...(process.getuid?.() === 0 ? ['-u', 'nobody'] : []), `127.0.0.1:${port}`, '1024'];
  const child = spawn(SMTP_SINK, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  sinkProcesses.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => sinkProcesses.delete(child));
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  let count = 0;
  let partial = '';
  const waiters = new Set<Waiter>();
  child.stdout!.on('data', (chunk: Buffer) => {
    partial += chunk.toString('latin1');
    const end = partial.lastIndexOf('\r');
    if (end === -1) return;
    const match = /mesg=(\d+)\s*$/.exec(partial.slice(0, end));
    partial = partial.slice(end + 1);
    if (!match) return;
    count = Number(match[1]);
    settle(waiters, count);
  });
  try {
    await waitUntilListening(port, child, 5_000);
  } catch (error) {
    child.kill('SIGTERM');
    throw new Error(`${(error as Error).message}: ${errors.join('')}`);
  }
  return {
    kind: 'smtp-sink (Postfix)',
    port,
    get count() {
      return count;
    },
    reached: reachedFor(() => count, waiters),
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startNodeSink(): Promise<CountingSink> {
  const mx: TestMxServer = await startMxServer({ size: 50 * 1024 * 1024 });
  const waiters = new Set<Waiter>();
  let total = 0;
  const timer = setInterval(() => {
    if (mx.messages.length === 0) return;
    total += mx.messages.length;
    mx.messages.length = 0; // only counted: 20,000 messages are not kept in memory
    settle(waiters, total);
  }, 5);
  return {
    kind: 'smtp-server in the bench process',
    port: mx.port,
    get count() {
      return total;
    },
    reached: reachedFor(() => total, waiters),
    async close() {
      clearInterval(timer);
      await mx.close();
    },
  };
}
