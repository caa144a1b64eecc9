/**
 * REST submission: POST /v1/mail/send at concurrency 1, 10 and 50 (autocannon,
 * one keep-alive connection per concurrent client, no pipelining, in this
 * process), a bounded number of requests per level
 * (default 2,000), each a ~2 KB text message to one recipient from a verified
 * domain: composed, DKIM-signed (RSA-2048) and fsynced before the 200. Outpost
 * runs in its own process with production settings (bench/lib/bench-outpost.ts)
 * and delivers to Postfix's smtp-sink while it accepts, as it would in use;
 * each level starts once the previous one's mail has been delivered.
 *
 * Reported per level: requests/s, latency p50/p95/p99 of the 200 answers
 * (client side, from sending the request to the last byte of the answer, as
 * autocannon times each response), non-200 answers and errors, the
 * server's CPU per send (delivery included) and the part of it on the event
 * loop's thread, and how busy that thread was while the requests came.
 *
 *   npm run bench:rest -- --requests 2000 --levels 1,10,50
 *
 * Bounded: requests per level, a 60 s timeout per request, and a 5-minute
 * deadline for each level's mail to reach the sink; loopback only.
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { percentile } from '../test/support/http-load.js';
import { SENDER } from '../test/support/rest-sender.js';
import { SINK_DOMAIN, smtpSourceLikeText, startBenchOutpost } from './lib/bench-outpost.js';
import { startCountingSink } from './lib/counting-sink.js';
import { mainThreadCpuSeconds, megabytes, peakRssOf, UsageMonitor } from './lib/process-usage.js';
import { recordResult, round, sectionHeader } from './lib/results.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    levels: { type: 'string', default: '1,10,50' },
    warmup: { type: 'string', default: '200' },
    /** OUTPOST_WORKERS of the server. */
    workers: { type: 'string', default: '1' },
  },
});
const workers = Number(values.workers);
if (!(Number.isInteger(workers) && workers >= 1 && workers <= 16)) throw new Error('--workers: 1 to 16');
const requests = Number(values.requests);
const levels = values.levels.split(',').map(Number);
const warmup = Number(values.warmup);
if (!(requests > 0) || levels.some((level) => !(level >= 1 && level <= 1000))) throw new Error('bad --requests or --levels');
const LEVEL_DEADLINE_MS = 5 * 60_000;

const sink = await startCountingSink();
const server = await startBenchOutpost({ sinkPort: sink.port, env: { OUTPOST_WORKERS: String(workers) } }).catch(async (error: unknown) => {
  await sink.close(); // smtp-sink is a separate process: never leave it behind
  throw error;
});
const body = { from: SENDER, to: [`user@${SINK_DOMAIN}`], subject: 'bench', text: smtpSourceLikeText() };
let sent = 0;

interface LoadFigures {
  /** Latency of each 200 answer, ms, sorted. */
  okLatenciesMs: number[];
  failed: number;
  /** Status codes and error kinds of what was not a 200, with counts. */
  failures: Record<string, number>;
  wallMs: number;
}

/** `count` POSTs with `concurrency` connections; each response's time is taken from autocannon's own timing. */
function postLoad(concurrency: number, count: number): Promise<LoadFigures> {
  const okLatenciesMs: number[] = [];
  const failures: Record<string, number> = {};
  const note = (kind: string): void => {
    failures[kind] = (failures[kind] ?? 0) + 1;
  };
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: `http://${server.httpAddress}/v1/mail/send`,
        method: 'POST',
        headers: { ...server.sender!.headers, 'content-type': 'application/json' },
        body: JSON.stringify(body),
        connections: concurrency,
        amount: count,
        timeout: 60,
      },
      (error, result) => {
        if (error) return reject(error);
        if (result.errors > 0) failures.errors = result.errors;
        if (result.timeouts > 0) failures.timeouts = result.timeouts;
        okLatenciesMs.sort((a, b) => a - b);
        resolve({ okLatenciesMs, failed: count - okLatenciesMs.length, failures, wallMs: performance.now() - started });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode === 200) okLatenciesMs.push(responseTimeMs);
      else note(String(statusCode));
    });
  });
}

async function level(concurrency: number, count: number) {
  const monitor = new UsageMonitor(server.pid);
  monitor.start();
  const mainThreadBefore = mainThreadCpuSeconds(server.pid);
  const load = await postLoad(concurrency, count);
  // how busy the event loop's thread was while the requests came: near 1, it is what limits the rate
  const eventLoopBusy = (mainThreadCpuSeconds(server.pid) - mainThreadBefore) / (load.wallMs / 1000);
  const ok = load.okLatenciesMs.length;
  sent += ok;
  // the next level starts with an empty queue
  await sink.reached(sent, LEVEL_DEADLINE_MS);
  const cpuSeconds = monitor.stop();
  const latencies = load.okLatenciesMs;
  return {
    concurrency,
    requests: count,
    ok,
    failed: load.failed,
    failures: load.failures,
    requestsPerSecond: round(ok / (load.wallMs / 1000)),
    latencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)), max: round(latencies.at(-1) ?? NaN) },
    serverCpuMsPerSend: round((cpuSeconds * 1000) / Math.max(1, ok)),
    // the part of it on the event loop's thread (the rest: thread pool, GC threads)
    eventLoopCpuMsPerSend: round((monitor.mainThreadSeconds * 1000) / Math.max(1, ok)),
    eventLoopBusy: round(eventLoopBusy),
    peakPssMb: megabytes(monitor.peakPssBytes),
  };
}

const results = [];
let peakRssMb = 0;
try {
  if (warmup > 0) await level(10, warmup);
  for (const concurrency of levels) results.push(await level(concurrency, requests));
  peakRssMb = megabytes(peakRssOf(server.pid));
} finally {
  await server.close();
  await sink.close();
}

console.log(`\nREST submission: POST /v1/mail/send, ${requests} requests per level, ~2 KB, 1 recipient, DKIM RSA-2048, fsynced; delivery to ${sink.kind} running meanwhile`);
console.table(
  results.map((result) => ({
    concurrency: result.concurrency,
    'sends/s': result.requestsPerSecond,
    'p50 ms': result.latencyMs.p50,
    'p95 ms': result.latencyMs.p95,
    'p99 ms': result.latencyMs.p99,
    'non-200': result.failed,
    'server CPU ms/send': result.serverCpuMsPerSend,
    'of it event loop': result.eventLoopCpuMsPerSend,
    'event loop busy': result.eventLoopBusy,
  })),
);
console.log(`peak RSS of the Outpost process: ${peakRssMb} MB`);
for (const result of results) if (result.failed > 0) console.log(`concurrency ${result.concurrency}: not 200: ${JSON.stringify(result.failures)}`);

await recordResult('rest', {
  ...sectionHeader('REST submission (POST /v1/mail/send) at fixed concurrency, server in its own process', `npm run bench:rest -- --requests ${requests} --levels ${levels.join(',')}`),
  requestsPerLevel: requests,
  warmupRequests: warmup,
  sink: sink.kind,
  levels: results,
  peakRssMb,
});
if (results.some((result) => result.failed > 0)) process.exitCode = 1;
