/**
 * Real scanner daemons for tests, from Debian's packages (clamav-daemon,
 * spamd, rspamd): each runs on 127.0.0.1 on a free port, with its own config
 * and data dirs in a temp dir (clamd with an EICAR signature file written
 * here, no freshclam; spamd with the packaged rules and no network tests;
 * rspamd with the packaged rules, two test rules and no DNS). A start waits
 * until the daemon answers its protocol's ping, within a bound; a daemon that
 * is not installed or does not come up throws, naming why (a test never skips
 * silently). Each runs in a process group of its own and is stopped by its
 * PID (the group: rspamd and spamd fork workers); whatever a test left
 * running is killed, and its dirs removed, when the test process exits or is
 * stopped with SIGTERM or SIGHUP.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync } from 'node:fs';
import { chmod, chown, copyFile, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { EICAR } from '../../plugins/scan/eicar.js';

export interface ScannerDaemon {
  readonly name: string;
  /** `127.0.0.1:port`: OUTPOST_SCAN_CLAMD_ADDRESS, OUTPOST_SCAN_SPAMD_ADDRESS. */
  readonly address: string;
  /** `http://127.0.0.1:port`: OUTPOST_SCAN_RSPAMD_URL. */
  readonly url: string;
  /** clamd also listens on this unix socket. */
  readonly socketPath: string | undefined;
  /** The daemon's main process while it runs. */
  readonly pid: number | undefined;
  /** Stops it (SIGTERM to its process group, SIGKILL after 5 s); its dirs stay for start(). */
  stop(): Promise<void>;
  /** Starts it again, same port and dirs. */
  start(): Promise<void>;
  /** Stops it and removes its dirs. */
  close(): Promise<void>;
}

/** How to run one daemon in `dir` on `port`. */
interface DaemonRecipe {
  name: string;
  binary: string;
  /** The Debian package to install when the binary is missing. */
  debianPackage: string;
  /** Longest a start may take before it counts as failed. */
  startBoundMs: number;
  /** Writes the daemon's config into `dir`; answers its command line. */
  prepare(dir: string, port: number): Promise<string[]>;
  /** One readiness probe: true once the daemon answers its protocol. */
  answers(dir: string, port: number): Promise<boolean>;
  /** After the first successful start (rspamd keeps its compiled patterns for the next test run). */
  afterStart?(dir: string): Promise<void>;
}

/** Process groups still running and dirs not yet removed: cleaned up if the test process ends without closing them. */
const running = new Set<number>();
const madeDirs = new Set<string>();

function killLeftovers(): void {
  for (const pid of running) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
  for (const dir of madeDirs) rmSync(dir, { recursive: true, force: true });
}
process.once('exit', killLeftovers);
// a run stopped from outside (CI's timeout sends SIGTERM) skips 'exit': clean up, then die of the same signal
for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
  process.once(signal, () => {
    killLeftovers();
    process.kill(process.pid, signal);
  });
}

const isRoot = process.getuid?.() === 0;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Sends `request` and resolves with what comes back before the daemon closes (or a short wait passes). */
function probe(target: { port: number } | { path: string }, request: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect('path' in target ? { path: target.path } : { host: '127.0.0.1', port: target.port });
    let answer = '';
    const done = (): void => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, done);
    socket.on('data', (chunk) => (answer += chunk.toString('latin1')));
    socket.on('end', done);
    socket.on('error', done);
    socket.on('connect', () => socket.write(request));
  });
}

function httpGet(url: string): Promise<string> {
  return new Promise((resolve) => {
    const request = http.get(url, { timeout: 1000 }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve(body));
      response.on('error', () => resolve(''));
    });
    request.on('timeout', () => request.destroy());
    request.on('error', () => resolve(''));
  });
}

function idOf(flag: '-u' | '-g', user: string): number {
  const result = spawnSync('id', [flag, user], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`user ${user} does not exist (is its package installed?)`);
  return Number(result.stdout.trim());
}

async function chownTree(target: string, uid: number, gid: number): Promise<void> {
  await chown(target, uid, gid);
  for (const entry of await readdir(target, { withFileTypes: true })) {
    const inner = path.join(target, entry.name);
    if (entry.isDirectory()) await chownTree(inner, uid, gid);
    else await chown(inner, uid, gid);
  }
}

const clamd: DaemonRecipe = {
  name: 'clamd',
  binary: '/usr/sbin/clamd',
  debianPackage: 'clamav-daemon',
  startBoundMs: 15_000,
  async prepare(dir, port) {
    await mkdir(path.join(dir, 'db'));
    // a body signature (.ndb, any file type, any offset) of the EICAR string: no freshclam, no network
    await writeFile(path.join(dir, 'db', 'outpost-test.ndb'), `Eicar-Test-Signature:0:*:${Buffer.from(EICAR, 'latin1').toString('hex')}\n`);
    await writeFile(path.join(dir, 'clamd.conf'), [
      `TCPSocket ${port}`, 'TCPAddr 127.0.0.1', `LocalSocket ${path.join(dir, 'clamd.sock')}`, 'Foreground yes',
      `PidFile ${path.join(dir, 'clamd.pid')}`, `LogFile ${path.join(dir, 'clamd.log')}`, `DatabaseDirectory ${path.join(dir, 'db')}`,
      'StreamMaxLength 30M', 'MaxThreads 4', 'SelfCheck 0', '',
    ].join('\n'));
    return ['-c', path.join(dir, 'clamd.conf')];
  },
  answers: async (_dir, port) => (await probe({ port }, 'zPING\0')).startsWith('PONG'),
};

const spamd: DaemonRecipe = {
  name: 'spamd',
  binary: '/usr/sbin/spamd',
  debianPackage: 'spamd',
  startBoundMs: 20_000,
  async prepare(dir, port) {
    const site = path.join(dir, 'site');
    await mkdir(site);
    await mkdir(path.join(dir, 'home'));
    // the packaged plugin loaders (.pre) and rules, with this run's own local.cf: no DNS, no Bayes, no learning
    for (const file of await readdir('/etc/spamassassin')) {
      if (file.endsWith('.pre')) await copyFile(path.join('/etc/spamassassin', file), path.join(site, file));
    }
    await writeFile(path.join(site, 'local.cf'), 'required_score 5.0\ndns_available no\nskip_rbl_checks 1\nuse_bayes 0\nbayes_auto_learn 0\n');
    // spamd drops to nobody when started as root: it must be able to read its dirs
    await chmod(dir, 0o755);
    return [
      '--listen', `127.0.0.1:${port}`, '--pidfile', path.join(dir, 'spamd.pid'), '--siteconfigpath', site,
      '--helper-home-dir', path.join(dir, 'home'), '--nouser-config', '--syslog', 'stderr', '--max-children', '2', '--min-children', '1',
      ...(isRoot ? ['-u', 'nobody'] : []),
    ];
  },
  answers: async (_dir, port) => /PONG/.test(await probe({ port }, 'PING SPAMC/1.5\r\n\r\n')),
};

/** rspamd's compiled regular expressions and TLD patterns, kept between test runs: compiling them takes ~15 s, loading them ~1 s. */
const RSPAMD_COMPILED = path.join(os.tmpdir(), 'outpost-test-rspamd-compiled');
const isCompiledPattern = (file: string): boolean => /\.(hs|hsmp|hsmc)$/.test(file);

/** Test rules: a Subject containing `outpost-test-add-header` scores 8 (add header), `outpost-test-soft-reject` forces soft reject. */
async function writeRspamdTestRules(dir: string): Promise<void> {
  const local = path.join(dir, 'local.d');
  await writeFile(path.join(local, 'add-header.map'), '/outpost-test-add-header/\n');
  await writeFile(path.join(local, 'soft-reject.map'), '/outpost-test-soft-reject/\n');
  await writeFile(path.join(local, 'multimap.conf'), [
    'OUTPOST_TEST_ADD_HEADER { type = "header"; header = "Subject"; regexp = true; score = 8.0;',
    `  map = "${path.join(local, 'add-header.map')}"; }`,
    'OUTPOST_TEST_SOFT_REJECT { type = "header"; header = "Subject"; regexp = true; score = 0.0;',
    `  map = "${path.join(local, 'soft-reject.map')}"; }`, '',
  ].join('\n'));
  await writeFile(path.join(local, 'force_actions.conf'),
    'rules { OUTPOST_TEST_SOFT_REJECT { action = "soft reject"; expression = "OUTPOST_TEST_SOFT_REJECT"; message = "try again later (outpost test rule)"; } }\n');
}

const rspamd: DaemonRecipe = {
  name: 'rspamd',
  binary: '/usr/bin/rspamd',
  debianPackage: 'rspamd',
  // the first run on a machine compiles every pattern (~15 s); later runs load them from RSPAMD_COMPILED
  startBoundMs: 50_000,
  async prepare(dir, port) {
    for (const sub of ['local.d', 'db', 'run', 'log']) await mkdir(path.join(dir, sub));
    await writeRspamdTestRules(dir);
    await writeFile(path.join(dir, 'rspamd.conf'), [
      '.include "$CONFDIR/common.conf"',
      // DNS goes nowhere (the discard port): lookups fail at once instead of waiting on the network
      'options { pidfile = "$RUNDIR/rspamd.pid"; .include "$CONFDIR/options.inc"; dns { nameserver = ["127.0.0.1:9"]; timeout = 0.5s; retransmits = 1; } }',
      'logging { type = "file"; filename = "$LOGDIR/rspamd.log"; level = "warning"; }',
      `worker "normal" { bind_socket = "127.0.0.1:${port}"; .include "$CONFDIR/worker-normal.inc"; }`, '',
    ].join('\n'));
    const compiled = await readdir(RSPAMD_COMPILED).catch(() => []);
    for (const file of compiled.filter(isCompiledPattern)) await copyFile(path.join(RSPAMD_COMPILED, file), path.join(dir, 'db', file));
    // as root rspamd runs its workers as _rspamd, which must own the dirs
    if (isRoot) await chownTree(dir, idOf('-u', '_rspamd'), idOf('-g', '_rspamd'));
    const vars = { CONFDIR: '/etc/rspamd', LOCAL_CONFDIR: dir, DBDIR: path.join(dir, 'db'), RUNDIR: path.join(dir, 'run'), LOGDIR: path.join(dir, 'log') };
    return ['-f', '-c', path.join(dir, 'rspamd.conf'), ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}=${value}`]), ...(isRoot ? ['-u', '_rspamd', '-g', '_rspamd'] : [])];
  },
  answers: async (_dir, port) => (await httpGet(`http://127.0.0.1:${port}/ping`)).trim() === 'pong',
  async afterStart(dir) {
    await mkdir(RSPAMD_COMPILED, { recursive: true });
    const known = new Set(await readdir(RSPAMD_COMPILED));
    for (const file of (await readdir(path.join(dir, 'db'))).filter(isCompiledPattern)) {
      if (!known.has(file)) await copyFile(path.join(dir, 'db', file), path.join(RSPAMD_COMPILED, file)).catch(() => undefined);
    }
  },
};

/** The last lines the daemon logged, for a failure message. */
function logTail(logPath: string): string {
  try {
    return readFileSync(logPath, 'utf8').trim().split('\n').slice(-8).join('\n');
  } catch {
    return '(no log)';
  }
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

/** Whether any process of the group `pid` is left. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function startDaemon(recipe: DaemonRecipe): Promise<ScannerDaemon> {
  if (!existsSync(recipe.binary)) {
    throw new Error(`${recipe.name} is not installed (${recipe.binary} missing): apt-get install ${recipe.debianPackage} (.ci/run does)`);
  }
  const dir = await mkdtemp(path.join(os.tmpdir(), `outpost-${recipe.name}-`));
  madeDirs.add(dir);
  const port = await freePort();
  const args = await recipe.prepare(dir, port);
  const logPath = path.join(dir, 'stderr.log');
  let child: ChildProcess | undefined;
  let warmed = false;

  async function start(): Promise<void> {
    const log = openSync(logPath, 'a');
    const started = spawn(recipe.binary, args, { cwd: dir, detached: true, stdio: ['ignore', log, log] });
    closeSync(log);
    child = started;
    if (started.pid === undefined) throw new Error(`${recipe.name} could not be started: ${await new Promise((resolve) => started.once('error', resolve))}`);
    running.add(started.pid);
    const deadline = Date.now() + recipe.startBoundMs;
    while (!(await recipe.answers(dir, port))) {
      if (started.exitCode !== null || started.signalCode !== null) {
        running.delete(started.pid);
        throw new Error(`${recipe.name} exited (${started.exitCode ?? started.signalCode}) before answering:\n${logTail(logPath)}`);
      }
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`${recipe.name} did not answer on 127.0.0.1:${port} within ${recipe.startBoundMs / 1000} s:\n${logTail(logPath)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    if (!warmed) {
      warmed = true;
      await recipe.afterStart?.(dir);
    }
  }

  async function stop(): Promise<void> {
    const stopping = child;
    child = undefined;
    if (stopping?.pid === undefined) return;
    const pid = stopping.pid;
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // already gone
    }
    const deadline = Date.now() + 5000;
    await Promise.race([exited(stopping), new Promise((resolve) => setTimeout(resolve, 5000))]);
    // workers may outlive their master for a moment
    while (groupAlive(pid) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    running.delete(pid);
  }

  try {
    await start();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    madeDirs.delete(dir);
    throw error;
  }
  return {
    name: recipe.name,
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    socketPath: recipe === clamd ? path.join(dir, 'clamd.sock') : undefined,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
      madeDirs.delete(dir);
    },
  };
}

/** clamd with an EICAR signature, on a TCP port and a unix socket. */
export const startClamd = (): Promise<ScannerDaemon> => startDaemon(clamd);
/** SpamAssassin's spamd with the packaged rules, no network tests. */
export const startSpamd = (): Promise<ScannerDaemon> => startDaemon(spamd);
/** rspamd's normal worker with the packaged rules, two test rules, no DNS. */
export const startRspamd = (): Promise<ScannerDaemon> => startDaemon(rspamd);
