/**
 * `npm run soak -- --iterations N`: the kill -9 crash run of
 * test/core/spool/crash.test.ts (test/support/crash-run.ts: the server's own
 * submissions, REST sends and SMTP submissions at once) many times over,
 * each with its own seed, then a summary: iterations, acknowledged, lost,
 * duplicated, in all and per way in (own, REST, SMTP). A duplicate is expected only for a message whose transaction was
 * in flight at the kill (at most one per open connection); anything else, and
 * any lost message, makes the soak fail (exit 1) with the seed to replay it:
 *
 *   npm run soak -- --iterations 50
 *   npm run soak -- --iterations 1 --seed 123456     # replay one run
 *
 * Bounded: each run has a 30 s delivery deadline; --iterations is required to be at most 10,000.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runCrashIteration, type CrashRunReport } from '../test/support/crash-run.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '20' },
    seed: { type: 'string' },
    messages: { type: 'string', default: '200' },
    verbose: { type: 'boolean', default: false },
    /** OUTPOST_WORKERS: with more than 1, SIGKILL goes to the primary while its workers take REST and SMTP (no own submissions). */
    workers: { type: 'string', default: '1' },
  },
});
const workers = Number(values.workers);
if (!(Number.isInteger(workers) && workers >= 1 && workers <= 16)) throw new Error('--workers: 1 to 16');
const iterations = Number(values.iterations);
if (!Number.isInteger(iterations) || iterations < 1 || iterations > 10_000) throw new Error('--iterations must be 1 to 10000');
const firstSeed = values.seed ? Number(values.seed) : randomInt(2 ** 31);
const messages = Number(values.messages);
const MAX_CONNECTIONS_PER_DOMAIN = 4;

/** What is wrong with one run, if anything (lost messages are counted separately). */
function problemsOf(run: CrashRunReport): string[] {
  const problems: string[] = [];
  if (run.firstExit.signal !== 'SIGKILL') problems.push(`first child was not killed (exit ${JSON.stringify(run.firstExit)})`);
  if (run.submitFailures.length > 0) problems.push(`submissions failed: ${run.submitFailures.slice(0, 3).join('; ')}`);
  if (run.missing.length > 0) problems.push(`lost ${run.missing.length} acknowledged: ${run.missing.slice(0, 10).join(', ')}`);
  if (run.rest.missing.length > 0) problems.push(`lost ${run.rest.missing.length} REST sends answered 200: ${run.rest.missing.slice(0, 10).join(', ')}`);
  if (run.rest.otherAnswers.length > 0) problems.push(`REST answers other than 200: ${run.rest.otherAnswers.slice(0, 3).join('; ')}`);
  const restOddities = [...run.rest.twiceInOneRun, ...run.rest.misaddressed, ...run.rest.neverSent.map((index) => `never sent #${index}`)];
  if (restOddities.length > 0) problems.push(`REST: ${restOddities.slice(0, 5).join('; ')}`);
  if (run.smtp.missing.length > 0) problems.push(`lost ${run.smtp.missing.length} SMTP submissions answered 250: ${run.smtp.missing.slice(0, 10).join(', ')}`);
  if (run.smtp.otherAnswers.length > 0) problems.push(`SMTP answers other than 250: ${run.smtp.otherAnswers.slice(0, 3).join('; ')}`);
  if (run.smtp.failedBeforeKill.length > 0) problems.push(`SMTP failed while the server ran: ${run.smtp.failedBeforeKill.slice(0, 3).join('; ')}`);
  const smtpOddities = [...run.smtp.twiceInOneRun, ...run.smtp.misaddressed, ...run.smtp.neverSent.map((index) => `never sent #${index}`)];
  if (smtpOddities.length > 0) problems.push(`SMTP: ${smtpOddities.slice(0, 5).join('; ')}`);
  if (run.queueAtEnd.queued !== 0 || run.queueAtEnd.active !== 0) problems.push(`queue not drained: ${JSON.stringify(run.queueAtEnd)}`);
  if (run.twiceInOneRun.length > 0) problems.push(`delivered twice by one run: ${run.twiceInOneRun.join(', ')}`);
  const redelivered = run.redelivered.length + run.rest.redelivered.length + run.smtp.redelivered.length;
  if (redelivered > MAX_CONNECTIONS_PER_DOMAIN) problems.push(`${redelivered} redelivered, more than the ${MAX_CONNECTIONS_PER_DOMAIN} in flight`);
  if (!run.unconfirmedRedelivered) problems.push('the message unconfirmed at the kill was not sent again');
  if (run.misaddressed.length > 0) problems.push(`misaddressed: ${run.misaddressed.slice(0, 3).join('; ')}`);
  if (run.neverSubmitted.length > 0) problems.push(`delivered but never submitted: ${run.neverSubmitted.join(', ')}`);
  if (run.unlabelled.length > 0) problems.push(`${run.unlabelled.length} unlabelled messages at the MX`);
  if (run.secondExit.code !== 0) problems.push(`restarted server did not stop cleanly: ${JSON.stringify(run.secondExit)}`);
  return problems;
}

/** Per way into the server: acknowledged, lost (acknowledged, never delivered), duplicated (delivered by both runs). */
type Tally = { acknowledged: number; lost: number; duplicated: number };
const FRONTS = {
  own: (run: CrashRunReport) => ({ acked: run.acked, missing: run.missing, redelivered: run.redelivered }),
  REST: (run: CrashRunReport) => run.rest,
  SMTP: (run: CrashRunReport) => run.smtp,
};
type FrontName = keyof typeof FRONTS;
const FRONT_NAMES = Object.keys(FRONTS) as FrontName[];
const tallies = Object.fromEntries(FRONT_NAMES.map((name) => [name, { acknowledged: 0, lost: 0, duplicated: 0 }])) as Record<FrontName, Tally>;
const totals = { iterations: 0, failedRuns: 0 };
const failures: string[] = [];
const started = Date.now();
for (let iteration = 1; iteration <= iterations; iteration++) {
  const seed = firstSeed + iteration - 1;
  let run: CrashRunReport;
  try {
    run = await runCrashIteration({ seed, messages, maxConnectionsPerDomain: MAX_CONNECTIONS_PER_DOMAIN, workers, ...(workers > 1 ? { killAfterMinAcks: 20, killAfterMaxAcks: 60, restSends: 150, smtpSends: 90 } : {}) });
  } catch (error) {
    totals.iterations++;
    totals.failedRuns++;
    failures.push(`run ${iteration} (--seed ${seed}): ${(error as Error).message.slice(0, 500)}`);
    console.log(`run ${iteration}/${iterations} seed ${seed}: ERROR ${(error as Error).message.slice(0, 200)}`);
    continue;
  }
  const problems = problemsOf(run);
  totals.iterations++;
  const thisRun = { acknowledged: 0, lost: 0, duplicated: 0 };
  for (const name of FRONT_NAMES) {
    const { acked, missing, redelivered } = FRONTS[name](run);
    for (const tally of [tallies[name], thisRun]) {
      tally.acknowledged += acked.length;
      tally.lost += missing.length;
      tally.duplicated += redelivered.length;
    }
  }
  if (problems.length > 0) {
    totals.failedRuns++;
    failures.push(`run ${iteration} (--seed ${seed}): ${problems.join('; ')}`);
  }
  const line = `run ${iteration}/${iterations} seed ${seed}: acked ${run.acked.length} + ${run.rest.acked.length} REST + ${run.smtp.acked.length} SMTP, lost ${thisRun.lost}, redelivered ${thisRun.duplicated}, drained in ${String(run.facts.msToDrainAfterRestart)} ms${problems.length ? `  PROBLEMS: ${problems.join('; ')}` : ''}`;
  console.log(values.verbose ? `${line}\n  ${JSON.stringify(run.facts)}` : line);
}

const all = FRONT_NAMES.reduce((sum, name) => ({
  acknowledged: sum.acknowledged + tallies[name].acknowledged,
  lost: sum.lost + tallies[name].lost,
  duplicated: sum.duplicated + tallies[name].duplicated,
}), { acknowledged: 0, lost: 0, duplicated: 0 });
console.log(
  `\nsoak summary (${Math.round((Date.now() - started) / 1000)} s, first seed ${firstSeed}, ${workers > 1 ? `${workers} workers, no own submissions, up to 150 REST sends and 90 SMTP submissions per run, kill -9 of the primary` : `${messages} own submissions, up to 100 REST sends and 60 SMTP submissions per run, kill -9`} at a random point): ${totals.iterations} iterations, ${totals.failedRuns} failed`,
);
console.table(
  Object.fromEntries(
    [...FRONT_NAMES.map((name) => [name, tallies[name]] as const), ['all', all] as const].map(([name, tally]) => [
      name,
      { acknowledged: tally.acknowledged, lost: tally.lost, 'duplicated (in flight at the kill)': tally.duplicated },
    ]),
  ),
);
if (failures.length > 0) {
  console.error(`\n${failures.length} run(s) failed; replay one with npm run soak -- --iterations 1 --seed <seed>:\n${failures.join('\n')}`);
  process.exitCode = 1;
}
