/**
 * `npm run bench`: every benchmark, one after another, each in its own process
 * with its default (full) sizes, then one table of the issue's targets against
 * what this run measured (from bench/results/latest.json). About 10 minutes on
 * a 2-core machine; each benchmark is bounded in count and time, and this
 * runner gives each at most 20 minutes. `--quick` runs small sizes (a smoke test,
 * a minute or two; its figures are not comparable, so they are not recorded and
 * the targets table shows the recorded ones).
 *
 *   npm run bench                 # full sizes: e2e 20,000 messages ×(1, 5 rcpts), REST 2,000 per level, queue 100,000
 *   npm run bench -- --quick
 *   npm run bench -- --only e2e,rest
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' } } });
const REPO_ROOT = fileURLToPath(new URL('../', import.meta.url));
const BENCH_TIMEOUT_MS = 20 * 60_000;

const benchmarks: { name: string; script: string; quick: string[] }[] = [
  { name: 'delivery', script: 'bench/delivery.ts', quick: ['--messages', '500'] },
  { name: 'e2e', script: 'bench/e2e.ts', quick: ['--messages', '1000'] },
  { name: 'rest', script: 'bench/rest.ts', quick: ['--requests', '300', '--warmup', '50'] },
  { name: 'queue', script: 'bench/queue-scale.ts', quick: ['--messages', '500', '--schedule', '5s', '--observe', '60'] },
  { name: 'tracking', script: 'bench/tracking.ts', quick: ['--messages', '200'] },
  { name: 'scan', script: 'bench/scan.ts', quick: ['--small', '500', '--large', '20'] },
];
const selected = values.only ? benchmarks.filter((benchmark) => values.only!.split(',').includes(benchmark.name)) : benchmarks;

function run(script: string, args: string[]): Promise<number> {
  return new Promise((resolve) => {
    const env = values.quick ? { ...process.env, BENCH_RECORD: 'off' } : process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { cwd: REPO_ROOT, env, stdio: 'inherit' });
    const timer = setTimeout(() => {
      console.error(`${script}: over ${BENCH_TIMEOUT_MS / 60_000} minutes, stopping it`);
      child.kill('SIGTERM');
    }, BENCH_TIMEOUT_MS);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}

const started = Date.now();
const failed: string[] = [];
for (const benchmark of selected) {
  console.log(`\n=== ${benchmark.name} (${benchmark.script}) ===`);
  const code = await run(benchmark.script, values.quick ? benchmark.quick : []);
  if (code !== 0) failed.push(`${benchmark.name} (exit ${code})`);
}

/* eslint-disable @typescript-eslint/no-explicit-any -- latest.json is read back loosely for the summary */
const latest: Record<string, any> = JSON.parse(await readFile(new URL('./results/latest.json', import.meta.url), 'utf8'));
const e2eRuns: any[] = latest.e2e?.runs ?? [];
/** Like for like (the same STARTTLS load client against both), one recipient: each round's Outpost and Postfix rows, and the median ratio. */
function pairOf(outpostPath: string) {
  const rows = (system: string, path: string) => e2eRuns.filter((entry) => entry.system === system && entry.path === path && entry.recipients === 1);
  const postfixRows = rows('Postfix', 'tls-client');
  const outpostRows = rows('Outpost', outpostPath);
  const ratios = outpostRows.flatMap((outpostRow) => {
    const postfixRow = postfixRows.find((entry) => (entry.round ?? 1) === (outpostRow.round ?? 1));
    return postfixRow ? [outpostRow.deliveredPerSecond / postfixRow.deliveredPerSecond] : [];
  }).sort((a, b) => a - b);
  if (ratios.length === 0) return undefined;
  const middle = Math.floor(ratios.length / 2);
  const median = ratios.length % 2 === 1 ? ratios[middle]! : (ratios[middle - 1]! + ratios[middle]!) / 2;
  const rounded = (value: number) => Number(value.toFixed(2));
  return { outpost: outpostRows[0], postfix: postfixRows[0], median: rounded(median), range: ratios.length > 1 ? ` (${rounded(ratios[0]!)}–${rounded(ratios.at(-1)!)} over ${ratios.length} rounds)` : '' };
}
const signed = pairOf('tls-auth-client');
const unsigned = pairOf('tls-auth-client-unsigned');
const rest50 = (latest.rest?.levels ?? []).find((entry: any) => entry.concurrency === 50);
const queue = latest.queueScale;
const verdict = (ok: boolean | undefined) => (ok === undefined ? 'not measured' : ok ? 'met' : 'NOT met');

console.log(`\nTargets of issue 6 against ${values.quick ? 'the recorded figures (bench/results/latest.json; quick runs are not recorded)' : 'this run'} (${latest.e2e?.machine ?? 'machine unknown'}; RSA-2048 signatures/s on one core: ${latest.e2e?.rsa2048SignsPerSecond ?? 'not recorded'}):`);
console.table([
  {
    target: 'delivered msg/s with fsync + DKIM ≥ 1.0× Postfix',
    measured: `${signed?.median ?? '-'}×${signed?.range ?? ''} (Outpost ${signed?.outpost?.deliveredPerSecond ?? '-'}, Postfix ${signed?.postfix?.deliveredPerSecond ?? '-'} msg/s, both over SMTP+STARTTLS)`,
    result: verdict(signed ? signed.median >= 1 : undefined),
    'like for like': 'yes (Outpost also does AUTH and DKIM)',
  },
  {
    target: 'delivered msg/s without DKIM ≥ 1.5× Postfix',
    measured: `${unsigned?.median ?? '-'}×${unsigned?.range ?? ''} (Outpost ${unsigned?.outpost?.deliveredPerSecond ?? '-'}, Postfix ${unsigned?.postfix?.deliveredPerSecond ?? '-'} msg/s, dkim-sign left out)`,
    result: verdict(unsigned ? unsigned.median >= 1.5 : undefined),
    'like for like': 'yes (Outpost also does AUTH)',
  },
  {
    target: 'Outpost CPU < 2 ms per message',
    measured: `${signed?.outpost?.cpuSecondsPer1000 ?? '-'} ms with DKIM, ${unsigned?.outpost?.cpuSecondsPer1000 ?? '-'} ms without (SMTP, 1 rcpt; Postfix ${signed?.postfix?.cpuSecondsPer1000 ?? '-'} ms)`,
    result: verdict(signed ? signed.outpost.cpuSecondsPer1000 < 2 : undefined),
    'like for like': 'yes',
  },
  {
    target: 'REST at concurrency 50 ≥ 1,500 sends/s, p99 < 25 ms',
    measured: `${rest50?.requestsPerSecond ?? '-'} sends/s, p99 ${rest50?.latencyMs?.p99 ?? '-'} ms`,
    result: verdict(rest50 ? rest50.requestsPerSecond >= 1500 && rest50.latencyMs.p99 < 25 : undefined),
    'like for like': 'yes',
  },
  {
    target: '100,000-recipient queue resumes within 10 s of a restart, RSS < 500 MB',
    measured: `up ${queue?.restartReadySeconds ?? '-'} s, first attempt ${queue?.firstAttemptAfterRestartSeconds ?? '-'} s, peak RSS ${queue ? Math.max(queue.peakRssMbFirstRun, queue.peakRssMbSecondRun) : '-'} MB`,
    result: verdict(queue ? queue.firstAttemptAfterRestartSeconds <= 10 && Math.max(queue.peakRssMbFirstRun, queue.peakRssMbSecondRun) < 500 : undefined),
    'like for like': 'yes',
  },
]);
/* eslint-enable @typescript-eslint/no-explicit-any */
console.log(`all benchmarks: ${Math.round((Date.now() - started) / 1000)} s${failed.length ? `; FAILED: ${failed.join(', ')}` : ''}`);
if (failed.length > 0) process.exitCode = 1;
