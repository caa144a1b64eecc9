/**
 * Runs the `outpost` command (bin/outpost.ts) as a child process, the way a
 * user or a script does, and collects its exit code and output. No OUTPOST_*
 * variable of this process leaks in, and XDG_CONFIG_HOME points at an empty
 * folder, so only what a test passes configures the command. The child runs in
 * its own process group, so a test can check that nothing it started is left.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inheritedEnv, REPO_ROOT, withTimeout } from './outpost-process.js';

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child's PID, which is also its process group's id. */
  pid: number;
}

export const CLI_SCRIPT = path.join(REPO_ROOT, 'bin', 'outpost.ts');

/** A config home with no config file in it, shared by every run of this process. */
const emptyConfigHome = mkdtempSync(path.join(os.tmpdir(), 'outpost-cli-config-'));
process.once('exit', () => rmSync(emptyConfigHome, { recursive: true, force: true }));

export async function runCli(args: string[], options: { env?: Record<string, string>; input?: string; timeoutMs?: number } = {}): Promise<CliRun> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI_SCRIPT, ...args], {
    cwd: REPO_ROOT,
    env: { ...inheritedEnv(), XDG_CONFIG_HOME: emptyConfigHome, NO_COLOR: '1', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  child.stdin.end(options.input ?? '');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  try {
    const { code, signal } = await withTimeout(exited, options.timeoutMs ?? 60_000, () => `outpost ${args.join(' ')}: ${Buffer.concat(stderr).toString()}`);
    return { code, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString(), pid: child.pid! };
  } catch (error) {
    // a hung command: end its whole process group (it is this test's own child), then report
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    throw error;
  }
}

/** Whether any process of the group `pid` still runs. */
export function processGroupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether every process of the group `pid` has ended within `timeoutMs`. A
 * helper of the command may outlive it by a moment (tsx's esbuild service ends
 * when the pipe from its parent closes), so this waits rather than looks once.
 */
export async function processGroupEnds(pid: number, timeoutMs = 5_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processGroupAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return true;
}
