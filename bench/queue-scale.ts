/**
 * Queue scale: 100,000 recipients (default 10,000 messages × 10 recipients,
 * one domain) for a destination that answers every RCPT with 451, so nothing
 * leaves the queue. Outpost runs in a child process and enqueues them itself
 * through outpost.submit() (the pipeline and the fsynced spool, no HTTP, no
 * DKIM), 16 submissions at a time, while it already tries to deliver them.
 *
 * Measured: enqueue time, time until every recipient had its first attempt,
 * spool size on disk (du of data/spool), RSS; then a graceful stop and a
 * restart on the same data dir (once retries are under way, so a backlog is
 * due when it comes back): time until the server is up with the queue
 * recovered, time until the first delivery attempt after the restart, RSS with
 * the recovered queue. Checked at the destination (every RCPT TO is timed):
 * no retry comes earlier than OUTPOST_RETRY_SCHEDULE allows, before or after
 * the restart, and never more sessions at once than the per-destination
 * limit (maxConnectionsPerDomain) — no flood after the restart. (Raw TCP
 * connections are reported too: Outpost frees a session's slot when its own
 * socket has closed, which can be an instant before the destination has
 * processed that close, so its count can briefly show one more.)
 *
 *   npm run bench:queue -- --messages 10000 --recipients 10 --schedule 30s --observe 180
 *
 * Bounded: the counts above, a 10-minute deadline for the first attempts and
 * --observe seconds after the restart; loopback only. Exits 1 if a check fails.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.js';
import { parseRetrySchedule } from '../config/duration.js';
import { makeDataDir } from '../test/support/outpost.js';
import { withTimeout } from '../test/support/outpost-process.js';
import { startStallingMx } from '../test/support/stalling-mx.js';
import { SINK_DOMAIN, startBenchOutpost, startSinkDns, type BenchOutpost } from './lib/bench-outpost.js';
import { megabytes, treeMemory } from './lib/process-usage.js';
import { recordResult, round, sectionHeader } from './lib/results.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '10000' },
    recipients: { type: 'string', default: '10' },
    schedule: { type: 'string', default: '30s' },
    observe: { type: 'string', default: '180' },
    /** OUTPOST_WORKERS of the restarted server (the queue is filled by one process, which submits to itself). */
    workers: { type: 'string', default: '1' },
  },
});
const restartWorkers = Number(values.workers);
if (!(Number.isInteger(restartWorkers) && restartWorkers >= 1 && restartWorkers <= 16)) throw new Error('--workers: 1 to 16');
const messages = Number(values.messages);
const perMessage = Number(values.recipients);
const total = messages * perMessage;
const scheduleMs = parseRetrySchedule(values.schedule, '--schedule');
const observeMs = Number(values.observe) * 1000;
/** Outpost's default, which the benchmark runs with. */
const PER_DOMAIN_LIMIT = loadConfig({}).delivery.maxConnectionsPerDomain;
/** Timers and clocks: a retry this much before its time still counts as on time. */
const TOLERANCE_MS = 20;
const FIRST_WAVE_DEADLINE_MS = 10 * 60_000;

const delayAfter = (attempt: number): number => scheduleMs[Math.min(attempt, scheduleMs.length) - 1]!;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every RCPT TO at the destination, per address, in order. */
const attempts = new Map<string, number[]>();
const connectionsAt: number[] = [];
const sink = await startStallingMx({
  rcptReply: '451 4.3.0 try again later (queue benchmark)',
  onRcpt: (address, at) => {
    const list = attempts.get(address);
    if (list) list.push(at);
    else attempts.set(address, [at]);
  },
  onConnection: (_open, at) => connectionsAt.push(at),
});
const dns = await startSinkDns();
const dataDir = await makeDataDir();
const env = { OUTPOST_RETRY_SCHEDULE: values.schedule, OUTPOST_MAX_QUEUED_RECIPIENTS: String(Math.max(total + 1, 1_000_000)) };
const running: BenchOutpost[] = [];

async function spoolSizeMb(): Promise<number> {
  const { stdout } = await promisify(execFile)('du', ['-sk', path.join(dataDir, 'spool')]);
  return round(Number(stdout.split(/\s/)[0]) / 1024, 1);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await pause(100);
  }
  return true;
}

try {
  // 1. enqueue, and let every recipient have its first attempt
  const spawnedAt = Date.now();
  const first = await startBenchOutpost({
    sinkPort: sink.port,
    dns,
    dataDir,
    withSender: false,
    env: {
      ...env,
      CHILD_SUBMIT_COUNT: String(messages),
      CHILD_RECIPIENTS_PER_MESSAGE: String(perMessage),
      CHILD_RECIPIENT_DOMAIN: SINK_DOMAIN,
      CHILD_SUBMIT_CONCURRENCY: '16',
      CHILD_SUBMIT_REPORT: 'summary',
    },
  });
  running.push(first);
  const submitted = await withTimeout(first.child.submittedAll, FIRST_WAVE_DEADLINE_MS, () => 'enqueueing');
  const allTried = await waitFor(() => attempts.size >= total, Math.max(0, spawnedAt + FIRST_WAVE_DEADLINE_MS - Date.now()));
  const firstWaveMs = Date.now() - spawnedAt;
  // stop once retries are under way, so recipients are due while the server is down: the restart then
  // meets a backlog (the flood the per-destination limit must hold back) and resumes at once
  const retrying = () => [...attempts.values()].some((times) => times.length > 1);
  await waitFor(retrying, scheduleMs[0]! + 60_000);
  const beforeStop = await first.child.stats();
  const spoolMb = await spoolSizeMb();
  const peakConnectionsBeforeRestart = sink.peakOpen;
  const peakNotQuittingBeforeRestart = sink.peakOpenNotQuitting;
  const stopStarted = Date.now();
  await first.child.stop('SIGTERM', 120_000);
  const stopMs = Date.now() - stopStarted;
  running.splice(0);

  // 2. restart on the same data dir
  const restartAt = Date.now();
  const dueAtRestart = [...attempts.values()].filter((times) => times.at(-1)! + delayAfter(times.length) <= restartAt).length;
  sink.resetPeak();
  const second = await startBenchOutpost({ sinkPort: sink.port, dns, dataDir, withSender: false, env: { ...env, OUTPOST_WORKERS: String(restartWorkers) } });
  running.push(second);
  const readyMs = Date.now() - restartAt;
  const recovered = await second.child.stats();
  // every process of the server (the primary and its workers), PSS: shared pages counted once
  let peakPssBytesSecondRun = 0;
  const pssSampler = setInterval(() => (peakPssBytesSecondRun = Math.max(peakPssBytesSecondRun, treeMemory(second.pid).pssBytes)), 250);
  const pssAfterRecovery = treeMemory(second.pid).pssBytes;
  await waitFor(() => connectionsAt.some((at) => at >= restartAt), 60_000);
  const firstAttemptAfterRestartMs = (connectionsAt.find((at) => at >= restartAt) ?? NaN) - restartAt;
  const triedAfterRestart = () => [...attempts.values()].filter((times) => times.at(-1)! >= restartAt).length;
  const allRetried = await waitFor(() => triedAfterRestart() >= total, observeMs);
  const afterRestart = await second.child.stats();
  clearInterval(pssSampler);
  const peakConnectionsAfterRestart = sink.peakOpen;
  const peakNotQuittingAfterRestart = sink.peakOpenNotQuitting;

  // 3. the schedule, checked retry by retry
  let retries = 0;
  let retriesAcrossRestart = 0;
  const early: string[] = [];
  for (const [address, times] of attempts) {
    for (let index = 1; index < times.length; index++) {
      retries++;
      const across = times[index - 1]! < restartAt && times[index]! >= restartAt;
      if (across) retriesAcrossRestart++;
      const gap = times[index]! - times[index - 1]!;
      const required = delayAfter(index);
      if (gap < required - TOLERANCE_MS) early.push(`${address} attempt ${index + 1}: ${gap} ms after attempt ${index}, schedule says ${required} ms${across ? ' (across the restart)' : ''}`);
    }
  }
  await second.child.stop('SIGTERM', 120_000);
  running.splice(0);

  const result = {
    recipients: total,
    messages,
    recipientsPerMessage: perMessage,
    retrySchedule: values.schedule,
    enqueueSeconds: round(submitted.elapsedMs / 1000, 1),
    enqueuedRecipientsPerSecond: round(total / (submitted.elapsedMs / 1000)),
    submissionsFailed: submitted.failed,
    everyRecipientTried: allTried,
    firstAttemptsDoneSeconds: round(firstWaveMs / 1000, 1),
    spoolMb,
    rssMbBeforeStop: megabytes(beforeStop.rssBytes),
    peakRssMbFirstRun: megabytes(beforeStop.maxRssBytes),
    gracefulStopSeconds: round(stopMs / 1000, 1),
    dueAtRestart,
    restartReadySeconds: round(readyMs / 1000, 2),
    // waiting in the index right after start; the recipients of transactions already under way are not in it
    queuedRightAfterReady: recovered.queued,
    rssMbAfterRecovery: megabytes(recovered.rssBytes),
    firstAttemptAfterRestartSeconds: round(firstAttemptAfterRestartMs / 1000, 2),
    everyRecipientRetriedAfterRestart: allRetried,
    recipientsRetriedAfterRestart: triedAfterRestart(),
    peakRssMbSecondRun: megabytes(afterRestart.maxRssBytes),
    workersSecondRun: restartWorkers,
    pssMbAfterRecoveryAllProcesses: megabytes(pssAfterRecovery),
    peakPssMbSecondRunAllProcesses: megabytes(peakPssBytesSecondRun),
    retriesChecked: retries,
    retriesAcrossRestart,
    retriesEarlierThanSchedule: early.length,
    firstEarlyRetries: early.slice(0, 5),
    peakConnectionsBeforeRestart,
    peakConnectionsAfterRestart,
    peakConnectionsNotQuitting: { beforeRestart: peakNotQuittingBeforeRestart, afterRestart: peakNotQuittingAfterRestart },
    perDomainLimit: PER_DOMAIN_LIMIT,
    rcptCommandsAtDestination: sink.rcptCommands,
  };

  console.log(`\nQueue scale: ${total} recipients (${messages} messages × ${perMessage}) for a destination answering 451; retry schedule ${values.schedule}`);
  console.table({
    'enqueue time s': result.enqueueSeconds,
    'enqueued recipients/s': result.enqueuedRecipientsPerSecond,
    'every recipient tried once after s': result.firstAttemptsDoneSeconds,
    'spool on disk MB': result.spoolMb,
    'RSS before stop MB': result.rssMbBeforeStop,
    'graceful stop s': result.gracefulStopSeconds,
    'restart: up with queue recovered s': result.restartReadySeconds,
    'queued right after ready (excl. in flight)': result.queuedRightAfterReady,
    'due at restart': result.dueAtRestart,
    'restart: first attempt after s': result.firstAttemptAfterRestartSeconds,
    'RSS after recovery MB': result.rssMbAfterRecovery,
    'recipients tried again after the restart': `${result.recipientsRetriedAfterRestart} of ${total}`,
    'peak RSS second run MB': result.peakRssMbSecondRun,
    [`PSS after recovery / peak, all ${restartWorkers > 1 ? `${restartWorkers + 1} processes` : 'of the process'} MB`]: `${result.pssMbAfterRecoveryAllProcesses} / ${result.peakPssMbSecondRunAllProcesses}`,
    'retries checked (across restart)': `${result.retriesChecked} (${result.retriesAcrossRestart})`,
    'retries earlier than the schedule': result.retriesEarlierThanSchedule,
    'peak connections before / after restart': `${peakConnectionsBeforeRestart} / ${peakConnectionsAfterRestart} (limit ${PER_DOMAIN_LIMIT})`,
    '  the same without sessions closing (QUIT sent)': `${peakNotQuittingBeforeRestart} / ${peakNotQuittingAfterRestart}`,
  });
  const failures = [
    ...(submitted.failed > 0 ? [`${submitted.failed} submissions failed`] : []),
    ...(allTried ? [] : [`only ${attempts.size} of ${total} recipients were tried before the deadline`]),
    // the proof that the whole queue came back: every recipient was tried again after the restart
    ...(allRetried ? [] : [`only ${result.recipientsRetriedAfterRestart} of ${total} recipients were tried again within ${observeMs / 1000} s of the restart`]),
    ...(early.length > 0 ? [`${early.length} retries came earlier than the schedule: ${early.slice(0, 3).join('; ')}`] : []),
    ...(Math.max(peakNotQuittingBeforeRestart, peakNotQuittingAfterRestart) > PER_DOMAIN_LIMIT ? ['more sessions at once than the per-destination limit'] : []),
  ];
  for (const failure of failures) console.error(`FAILED: ${failure}`);
  if (Math.max(peakConnectionsBeforeRestart, peakConnectionsAfterRestart) > PER_DOMAIN_LIMIT) {
    // Outpost frees a slot once its socket has closed; the destination may not have processed that close yet
    console.warn(`NOTE: the destination saw ${Math.max(peakConnectionsBeforeRestart, peakConnectionsAfterRestart)} TCP connections at once, over the limit of ${PER_DOMAIN_LIMIT}, only while a session that had sent QUIT was still closing on its side`);
  }
  if (failures.length > 0) process.exitCode = 1;
  await recordResult('queueScale', {
    ...sectionHeader('queue of 100,000 deferred recipients: enqueue, spool size, restart recovery, retry schedule and per-destination limit', `npm run bench:queue -- --messages ${messages} --recipients ${perMessage} --schedule ${values.schedule} --observe ${values.observe} --workers ${restartWorkers}`),
    ...result,
    failures,
  });
} finally {
  for (const server of running) await server.child.dispose();
  await sink.close();
  await dns.close();
  await rm(dataDir, { recursive: true, force: true });
}
