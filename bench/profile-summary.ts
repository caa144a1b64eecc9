/**
 * Where the CPU time goes, from V8 CPU profiles (`node --cpu-prof`): self time
 * summed by function and by module (a package under node_modules, a source
 * file of this repository, a Node internal), and each sample charged to the
 * innermost Outpost function on its stack (so a function's figure includes
 * the library and Node work it asked for), over every .cpuprofile in the
 * given directory (or the one file given). Idle time is left out of the total.
 *
 *   npx tsx bench/profile-summary.ts bench/results/profiles [--top 25]
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** The module a frame belongs to: `pkg` for node_modules/pkg, `core/spool/spool.ts` for repo files, `node:internal/...` grouped by its first part. */
export function moduleOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const file = url.startsWith('file://') ? fileURLToPath(url) : url;
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file);
  if (packageMatch) return packageMatch[1]!;
  if (file.startsWith(REPO_ROOT)) return path.relative(REPO_ROOT, file);
  const internal = /^node:(internal\/[^/]+|[^/]+)/.exec(file);
  return internal ? `node:${internal[1]}` : file;
}

function functionLabel(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url ? `${moduleOf(url, functionName)}:${lineNumber + 1}` : '';
  return `${functionName || '(anonymous)'}${where ? ` ${where}` : ''}`;
}

export interface ProfileSummary {
  totalMs: number;
  idleMs: number;
  byModule: { name: string; selfMs: number; percent: number }[];
  byFunction: { name: string; selfMs: number; percent: number }[];
  /** Charged to the innermost frame in core/, plugins/, api/ or config/; `(no Outpost frame) module` otherwise. */
  byOutpostFunction: { name: string; selfMs: number; percent: number }[];
}

const OUTPOST_CODE = /^(core|plugins|api|config)\//;

/** The innermost Outpost function on the stack of `node`, or the module of `node` itself. */
function outpostCaller(node: ProfileNode, nodes: Map<number, ProfileNode>, parents: Map<number, number>): string {
  for (let current: ProfileNode | undefined = node; current; current = nodes.get(parents.get(current.id) ?? -1)) {
    if (OUTPOST_CODE.test(moduleOf(current.callFrame.url, current.callFrame.functionName))) return functionLabel(current);
  }
  return `(no Outpost frame) ${moduleOf(node.callFrame.url, node.callFrame.functionName)}`;
}

export function summarise(profiles: CpuProfile[], top: number): ProfileSummary {
  const byModule = new Map<string, number>();
  const byFunction = new Map<string, number>();
  const byOutpostFunction = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const profile of profiles) {
    const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
    const parents = new Map<number, number>();
    for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);
    const callers = new Map<number, string>();
    profile.samples.forEach((id, index) => {
      const node = nodes.get(id);
      // timeDeltas[i] is the time since the previous sample: it belongs to that earlier sample's frame
      const micros = profile.timeDeltas[index + 1] ?? 0;
      if (!node || micros <= 0) return;
      if (node.callFrame.functionName === '(idle)') {
        idle += micros;
        return;
      }
      total += micros;
      const module = moduleOf(node.callFrame.url, node.callFrame.functionName);
      byModule.set(module, (byModule.get(module) ?? 0) + micros);
      const label = functionLabel(node);
      byFunction.set(label, (byFunction.get(label) ?? 0) + micros);
      if (!callers.has(node.id)) callers.set(node.id, outpostCaller(node, nodes, parents));
      const caller = callers.get(node.id)!;
      byOutpostFunction.set(caller, (byOutpostFunction.get(caller) ?? 0) + micros);
    });
  }
  const rank = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, micros]) => ({ name, selfMs: Math.round(micros / 1000), percent: Number(((micros / total) * 100).toFixed(1)) }));
  return {
    totalMs: Math.round(total / 1000),
    idleMs: Math.round(idle / 1000),
    byModule: rank(byModule),
    byFunction: rank(byFunction),
    byOutpostFunction: rank(byOutpostFunction),
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' } } });
  const target = positionals[0] ?? 'bench/results/profiles';
  const files = (await stat(target)).isDirectory()
    ? (await readdir(target)).filter((name) => name.endsWith('.cpuprofile')).map((name) => path.join(target, name))
    : [target];
  if (files.length === 0) throw new Error(`no .cpuprofile in ${target}`);
  const profiles = await Promise.all(files.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as CpuProfile));
  const summary = summarise(profiles, Number(values.top));
  console.log(`${files.length} profile(s), ${summary.totalMs} ms on CPU (${summary.idleMs} ms idle not counted)\n\nself time by module:`);
  console.table(summary.byModule.map(({ name, selfMs, percent }) => ({ module: name, 'self ms': selfMs, '%': percent })));
  console.log('self time by function:');
  console.table(summary.byFunction.map(({ name, selfMs, percent }) => ({ function: name, 'self ms': selfMs, '%': percent })));
  console.log('charged to the innermost Outpost function:');
  console.table(summary.byOutpostFunction.map(({ name, selfMs, percent }) => ({ function: name, ms: selfMs, '%': percent })));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await main();
