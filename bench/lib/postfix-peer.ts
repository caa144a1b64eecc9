/**
 * The throwaway Postfix of bench/peers/postfix.sh, driven from a benchmark:
 * start it relaying to a sink port, learn its master's PID (for CPU and
 * memory), drive it with Postfix's own smtp-source, and stop it by closing the
 * script's stdin (its trap stops Postfix and removes the temp dir).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './counting-sink.js';

const SCRIPT = fileURLToPath(new URL('../peers/postfix.sh', import.meta.url));
export const SMTP_SOURCE = '/usr/sbin/smtp-source';

export interface PostfixPeer {
  /** smtpd on 127.0.0.1. */
  port: number;
  masterPid: number;
  stop(): Promise<void>;
}

/** Why Postfix cannot run here, or undefined when it can (installing the package first if needed). */
export async function postfixUnavailable(): Promise<string | undefined> {
  if (process.platform !== 'linux') return 'Postfix comparison runs on Linux only';
  if (process.getuid?.() !== 0) return 'Postfix comparison needs root (Postfix master starts as root); run the benchmark as root';
  try {
    await promisify(execFile)(SCRIPT, ['install'], { timeout: 300_000 });
  } catch (error) {
    return `could not install Postfix: ${(error as { stderr?: string }).stderr?.trim() || (error as Error).message}`;
  }
  return existsSync(SMTP_SOURCE) ? undefined : `${SMTP_SOURCE} is missing`;
}

export async function startPostfix(relayPort: number, timeoutMs = 60_000): Promise<PostfixPeer> {
  const port = await freePort();
  const child: ChildProcess = spawn(SCRIPT, ['run', '--port', String(port), '--relay-port', String(relayPort)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const errors: string[] = [];
  child.stderr!.on('data', (chunk: Buffer) => errors.push(chunk.toString()));
  const masterPid = await new Promise<number>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`postfix.sh not ready after ${timeoutMs} ms: ${errors.join('')}`)), timeoutMs);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /^READY \S+ \S+ (\d+)$/m.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`postfix.sh exited (${code}) before READY: ${errors.join('')}`));
    });
  });
  return {
    port,
    masterPid,
    async stop() {
      child.stdin!.end();
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), 30_000)))]);
      clearTimeout(timer);
      if (code === 'timeout') {
        child.kill('SIGTERM'); // its trap still tears the instance down
        await exited;
      }
    },
  };
}

/** Runs smtp-source to completion; resolves with its wall time in ms. */
export async function runSmtpSource(args: string[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  await promisify(execFile)(SMTP_SOURCE, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  return performance.now() - started;
}
