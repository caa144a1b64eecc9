/**
 * The parent's handle on an Outpost child process (test/support/outpost-child.ts):
 * spawns it with a given environment (optionally under a file size limit, so
 * spool writes genuinely fail as on a full disk), follows what it reports over
 * IPC (ready, each submission acknowledged, stopping) and stops or kills it by
 * its own PID. Used by the crash, shutdown and storage-fault tests, `npm run
 * soak` and the benchmarks that measure the server as a separate process.
 */
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChildMessage } from './outpost-child.js';

export const CHILD_SCRIPT = fileURLToPath(new URL('./outpost-child.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface OutpostChildOptions {
  /** The child's whole OUTPOST_* / CHILD_* configuration; none is inherited from this process. */
  env: Record<string, string>;
  /** Run under `ulimit -f` (1024-byte blocks): writes past this size fail with EFBIG, as on a full disk. */
  fileSizeLimitKb?: number;
  /** Append the child's stdout and stderr (its logs) to this file instead of keeping them in `output`. */
  logFile?: string;
  /** Extra node options, e.g. `--cpu-prof` (which NODE_OPTIONS may not carry). */
  nodeArgs?: string[];
}

export type ChildReady = Extract<ChildMessage, { type: 'ready' }>;
export type ChildStats = Omit<Extract<ChildMessage, { type: 'stats' }>, 'type'>;
export type ChildExit = { code: number | null; signal: NodeJS.Signals | null };

/** Rejects with `what()` if `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what()}: timed out after ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** This process's environment without OUTPOST_* and CHILD_*: a child's config must come from its own env alone. */
export function inheritedEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined && !entry[0].startsWith('OUTPOST_') && !entry[0].startsWith('CHILD_')),
  );
}

/** One Outpost child process and what it said. */
export class OutpostChild {
  readonly process: ChildProcess;
  readonly output: string[] = [];
  /** Submissions the child's own submitter started (CHILD_SUBMIT_COUNT). */
  readonly started = new Set<number>();
  readonly acked: number[] = [];
  readonly ackedIds = new Map<number, string>();
  readonly failures: string[] = [];
  readonly exited: Promise<ChildExit>;
  readonly ready: Promise<ChildReady>;
  /** Resolves when the child reports that it stopped taking submissions (SIGTERM acted on). */
  readonly stopping: Promise<void>;
  /** Resolves with the child's submitted-all report. */
  readonly submittedAll: Promise<Extract<ChildMessage, { type: 'submitted-all' }>>;
  /** Set from the ready message. */
  httpAddress: string | undefined;
  /** The STARTTLS submission listener (587's stand-in), set from the ready message; undefined when it is off. */
  submissionAddress: string | undefined;
  /** Date.now() when `stopping` arrived. */
  stoppingAt: number | undefined;
  onAck: ((child: OutpostChild) => void) | undefined;
  private statsWaiters: ((stats: ChildStats) => void)[] = [];

  constructor(options: OutpostChildOptions) {
    const env = { ...inheritedEnv(), ...options.env };
    const logFd = options.logFile === undefined ? undefined : openSync(options.logFile, 'a');
    const stdio: StdioOptions = logFd === undefined ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', logFd, logFd, 'ipc'];
    const nodeArgs = [...(options.nodeArgs ?? []), '--import', 'tsx', CHILD_SCRIPT];
    try {
      this.process = options.fileSizeLimitKb === undefined
        ? spawn(process.execPath, nodeArgs, { cwd: REPO_ROOT, env, stdio })
        : // ulimit -f counts 1024-byte blocks in bash; Node ignores SIGXFSZ, so an oversized write fails with EFBIG
          spawn('bash', ['-c', `ulimit -f ${options.fileSizeLimitKb} && exec "$0" "$@"`, process.execPath, ...nodeArgs], { cwd: REPO_ROOT, env, stdio });
    } finally {
      if (logFd !== undefined) closeSync(logFd); // the child has its own copy
    }
    for (const stream of [this.process.stdout, this.process.stderr]) stream?.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    let resolveStopping: () => void = () => {};
    this.stopping = new Promise((resolve) => (resolveStopping = resolve));
    let resolveSubmittedAll: (message: Extract<ChildMessage, { type: 'submitted-all' }>) => void = () => {};
    this.submittedAll = new Promise((resolve) => (resolveSubmittedAll = resolve));
    this.ready = new Promise<ChildReady>((resolve, reject) => {
      this.process.on('message', (message: ChildMessage) => {
        switch (message.type) {
          case 'ready':
            this.httpAddress = message.httpAddress;
            this.submissionAddress = message.submissionAddress;
            resolve(message);
            break;
          case 'fatal':
            reject(new Error(`child could not start: ${message.error}`));
            break;
          case 'submitting':
            this.started.add(message.seq);
            break;
          case 'acked':
            this.acked.push(message.seq);
            this.ackedIds.set(message.seq, message.id);
            this.onAck?.(this);
            break;
          case 'submit-failed':
            this.failures.push(`#${message.seq}: ${message.error}`);
            break;
          case 'submitted-all':
            resolveSubmittedAll(message);
            break;
          case 'stats':
            for (const waiter of this.statsWaiters.splice(0)) waiter(message);
            break;
          case 'stopping':
            this.stoppingAt = Date.now();
            resolveStopping();
            break;
          default:
            break;
        }
      });
      void this.exited.then(({ code, signal }) => reject(new Error(`child exited before ready (code ${code}, signal ${signal}): ${this.output.join('')}`)));
    });
    // a rejection nobody awaits yet (child killed after ready) must not surface as unhandled
    this.ready.catch(() => {});
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Queue sizes, RSS and CPU as the child reports them. */
  stats(timeoutMs = 5_000): Promise<ChildStats> {
    return withTimeout(
      new Promise((resolve) => {
        this.statsWaiters.push(resolve);
        this.process.send({ type: 'stats' });
      }),
      timeoutMs,
      () => `stats from child ${this.pid}`,
    );
  }

  /** Starts the child's own submitter (with CHILD_SUBMIT_ON_REQUEST=1). */
  startSubmitting(): void {
    this.process.send({ type: 'submit' });
  }

  /** Sends `signal` to this child (its own PID only) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ChildExit> {
    if (this.running) this.process.kill(signal);
    return withTimeout(this.exited, timeoutMs, () => `child ${this.pid} did not exit after ${signal}; output: ${this.output.join('').slice(-2000)}`);
  }

  /** SIGKILL if still running, and wait for the exit; never throws (for after-hooks). */
  async dispose(timeoutMs = 10_000): Promise<void> {
    if (this.running) this.process.kill('SIGKILL');
    await withTimeout(this.exited, timeoutMs, () => `child ${this.pid} did not exit`).catch(() => {});
  }
}
