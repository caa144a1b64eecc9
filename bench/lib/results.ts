/**
 * Where benchmark figures go: each benchmark writes its own section of
 * bench/results/latest.json (read, merged, written back), so running one
 * benchmark alone updates its figures and keeps the others'. Every section
 * carries the machine, the date and the command that produced it.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';

const LATEST = new URL('../results/latest.json', import.meta.url);

/** CPU model and count, memory, Node and kernel: enough to tell two machines apart. */
export function machineDescription(): string {
  const cpus = os.cpus();
  return `${cpus.length} × ${cpus[0]?.model.trim() ?? 'cpu'}, ${Math.round(os.totalmem() / 1024 ** 3)} GB RAM, Linux ${os.release()}, Node ${process.version}`;
}

/**
 * The machine's speed in the unit that costs Outpost most: RSA-2048 signatures
 * per second by Node's crypto.sign on one core (synchronous, after a warm-up).
 * This VM's speed drifts between sessions (one signature took 0.71 ms one day and
 * 0.36 ms another, same CPU model), so the figures of two runs compare only
 * alongside this number.
 */
export function rsa2048SignsPerSecond(): number {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const data = Buffer.alloc(512, 0x61);
  for (let index = 0; index < 20; index++) sign('sha256', data, privateKey);
  const count = 300;
  const started = performance.now();
  for (let index = 0; index < count; index++) sign('sha256', data, privateKey);
  return Math.round(count / ((performance.now() - started) / 1000));
}

export interface ResultSection {
  benchmark: string;
  command: string;
  machine: string;
  /** rsa2048SignsPerSecond() when the section was written. */
  rsa2048SignsPerSecond: number;
  date: string;
  [figure: string]: unknown;
}

/** Common fields of a section. */
export function sectionHeader(benchmark: string, command: string): ResultSection {
  return { benchmark, command, machine: machineDescription(), rsa2048SignsPerSecond: rsa2048SignsPerSecond(), date: new Date().toISOString() };
}

/**
 * Merges `section` into latest.json under `name` (written atomically: tmp file, then rename).
 * BENCH_RECORD=off skips it (profiling runs, whose figures are slowed by the profiler).
 */
export async function recordResult(name: string, section: ResultSection): Promise<void> {
  if (process.env.BENCH_RECORD === 'off') return;
  let latest: Record<string, unknown> = {};
  try {
    latest = JSON.parse(await readFile(LATEST, 'utf8')) as Record<string, unknown>;
  } catch {
    // first run, or unreadable: start afresh
  }
  // the file once held a single benchmark's keys at the top level; keep only the per-benchmark sections
  if (typeof latest.benchmark === 'string') latest = {};
  latest[name] = section;
  const temporary = new URL(`../results/latest.json.${process.pid}.tmp`, import.meta.url);
  await writeFile(temporary, JSON.stringify(latest, null, 2) + '\n');
  await rename(temporary, LATEST);
}

/** Rounds for tables: integers above 100, otherwise `digits` decimals. */
export function round(value: number, digits = 2): number {
  if (!Number.isFinite(value)) return value;
  return Math.abs(value) >= 100 ? Math.round(value) : Number(value.toFixed(digits));
}
