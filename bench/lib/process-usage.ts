/**
 * CPU time and memory of a process and all its descendants, read from /proc,
 * the same way for Outpost (one node process) and Postfix (master and the
 * daemons it forks), so the two are measured alike. CPU counts each process's
 * own time plus the time of children it has already reaped (cutime/cstime):
 * Postfix daemons come and go, and their CPU moves into master's account when
 * they exit. Memory is sampled: RSS (shared pages counted in every process)
 * and PSS (shared pages split between the processes sharing them).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100;

interface StatLine {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in clock ticks. */
  ticks: number;
}

function readStat(pid: number): StatLine | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  // the command name is in parentheses and may hold spaces: fields are counted after the last ')'
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime..cstime are fields 14..17
  const field = (number: number) => Number(fields[number - 3]);
  return { pid, ppid: field(4), ticks: field(14) + field(15) + field(16) + field(17) };
}

/** `root` and every process below it. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    const pid = pending.pop()!;
    tree.push(pid);
    pending.push(...(children.get(pid) ?? []));
  }
  return tree;
}

/** CPU seconds used so far by `root` and its descendants, reaped ones included. */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) ticks += readStat(pid)?.ticks ?? 0;
  return ticks / TICKS_PER_SECOND;
}

function kilobytesOf(text: string, field: string): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return match ? Number(match[1]) : 0;
}

/** Summed RSS and PSS of the tree, in bytes. */
export function treeMemory(root: number): { rssBytes: number; pssBytes: number } {
  let rss = 0;
  let pss = 0;
  for (const pid of processTree(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      rss += kilobytesOf(text, 'Rss');
      pss += kilobytesOf(text, 'Pss');
    } catch {
      // gone meanwhile, or not readable
    }
  }
  return { rssBytes: rss * 1024, pssBytes: pss * 1024 };
}

/** Peak RSS of one process as the kernel recorded it (VmHWM), in bytes. */
export function peakRssOf(pid: number): number {
  try {
    return kilobytesOf(readFileSync(`/proc/${pid}/status`, 'utf8'), 'VmHWM') * 1024;
  } catch {
    return 0;
  }
}

/**
 * CPU seconds used so far by the main thread of `pid` alone (its task whose id is the pid): for
 * a Node process, the event loop's thread, without the thread pool and the GC threads.
 */
export function mainThreadCpuSeconds(pid: number): number {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[14 - 3]) + Number(fields[15 - 3])) / TICKS_PER_SECOND;
  } catch {
    return 0; // gone meanwhile
  }
}

/** Samples a process tree's memory every `intervalMs` and its CPU at start and stop. */
export class UsageMonitor {
  private timer: NodeJS.Timeout | undefined;
  private cpuAtStart = 0;
  private mainThreadAtStart = 0;
  private startedAt = 0;
  peakRssBytes = 0;
  peakPssBytes = 0;
  /** Set by stop(): CPU seconds of the root process's main thread between start() and stop(). */
  mainThreadSeconds = 0;
  /** Set by stop(): seconds between start() and stop(). */
  wallSeconds = 0;

  constructor(readonly root: number, private readonly intervalMs = 200) {}

  start(): void {
    this.cpuAtStart = treeCpuSeconds(this.root);
    this.mainThreadAtStart = mainThreadCpuSeconds(this.root);
    this.startedAt = performance.now();
    this.sample();
    this.timer = setInterval(() => this.sample(), this.intervalMs);
  }

  /** CPU seconds since start(); stops sampling. */
  stop(): number {
    clearInterval(this.timer);
    this.sample();
    this.mainThreadSeconds = mainThreadCpuSeconds(this.root) - this.mainThreadAtStart;
    this.wallSeconds = (performance.now() - this.startedAt) / 1000;
    return treeCpuSeconds(this.root) - this.cpuAtStart;
  }

  private sample(): void {
    const { rssBytes, pssBytes } = treeMemory(this.root);
    this.peakRssBytes = Math.max(this.peakRssBytes, rssBytes);
    this.peakPssBytes = Math.max(this.peakPssBytes, pssBytes);
  }
}

export const megabytes = (bytes: number): number => Math.round(bytes / 1024 / 1024);

/**
 * CPU seconds the whole machine has been busy since boot (all cores; /proc/stat: user, nice,
 * system, irq, softirq, steal; idle and iowait left out). Less the benchmark's own process tree
 * over the same interval, it is the work of everything else sharing the cores: noise to report.
 */
export function machineBusySeconds(): number {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
}
