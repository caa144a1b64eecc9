/**
 * `npm run bench:profile`: where Outpost spends its CPU, three ways.
 *   smtp-server the Outpost process of bench/e2e.ts (Outpost only): the path
 *               compared with Postfix (SMTP submission with STARTTLS and AUTH,
 *               DKIM, spool, delivery to the sink)
 *   in-process  bench/delivery.ts (DKIM on) under `node --cpu-prof`: the pipeline,
 *               spool, scheduler and delivery, without HTTP (plus the submit loops)
 *   rest-server the Outpost process of bench/rest.ts at concurrency 50: the whole
 *               REST path as in production (HTTP, compose, DKIM, spool, delivery)
 * The profiles go to bench/results/profiles/ (git-ignored); their summaries
 * (self time by module and by function) are printed and kept in latest.json.
 * Figures of profiled runs are slowed by the profiler and are not recorded.
 *
 *   npm run bench:profile -- --messages 5000 --requests 3000   (--messages: e2e and in-process)
 */
import { spawn } from 'node:child_process';
import { readdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { summarise } from './profile-summary.js';
import { recordResult, sectionHeader } from './lib/results.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, requests: { type: 'string', default: '3000' }, top: { type: 'string', default: '15' } } });
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const PROFILES = path.join(REPO_ROOT, 'bench/results/profiles');

function run(args: string[], env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, BENCH_RECORD: 'off', ...env }, stdio: 'inherit' });
    const timer = setTimeout(() => child.kill('SIGTERM'), 15 * 60_000);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`${args.join(' ')} ended with ${code ?? signal}`));
    });
  });
}

async function load(directory: string) {
  const files = (await readdir(directory)).filter((name) => name.endsWith('.cpuprofile'));
  return Promise.all(files.map(async (name) => JSON.parse(await readFile(path.join(directory, name), 'utf8'))));
}

await rm(PROFILES, { recursive: true, force: true });
const inProcessDir = path.join(PROFILES, 'in-process');
const restDir = path.join(PROFILES, 'rest-server');
const smtpDir = path.join(PROFILES, 'smtp-server');
await run(['--import', 'tsx', 'bench/e2e.ts', '--skip-postfix', '--recipients', '1', '--messages', values.messages], { BENCH_CPU_PROF_DIR: smtpDir });
await run(['--cpu-prof', `--cpu-prof-dir=${inProcessDir}`, '--import', 'tsx', 'bench/delivery.ts', '--signing', 'dkim', '--messages', values.messages], {});
await run(['--import', 'tsx', 'bench/rest.ts', '--levels', '50', '--requests', values.requests, '--warmup', '0'], { BENCH_CPU_PROF_DIR: restDir });

const top = Number(values.top);
const summaries = {
  smtpServer: summarise(await load(smtpDir), top),
  inProcess: summarise(await load(inProcessDir), top),
  restServer: summarise(await load(restDir), top),
};
for (const [name, summary] of Object.entries(summaries)) {
  console.log(`\n${name}: ${summary.totalMs} ms on CPU\nself time by module:`);
  console.table(summary.byModule.map(({ name: module, selfMs, percent }) => ({ module, 'self ms': selfMs, '%': percent })));
  console.log('self time by function:');
  console.table(summary.byFunction.map(({ name: label, selfMs, percent }) => ({ function: label, 'self ms': selfMs, '%': percent })));
  console.log('charged to the innermost Outpost function:');
  console.table(summary.byOutpostFunction.map(({ name: label, selfMs, percent }) => ({ function: label, ms: selfMs, '%': percent })));
}
await recordResult('profile', {
  ...sectionHeader('V8 CPU profiles: self time by module and function', `npm run bench:profile -- --messages ${values.messages} --requests ${values.requests}`),
  ...summaries,
});
