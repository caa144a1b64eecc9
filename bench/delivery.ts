/**
 * Core MTA benchmark, in process: N messages (default 5,000, ~2 KB, 1
 * recipient) submitted straight into the pipeline (outpost.submit(), no HTTP)
 * by C concurrent submitters (default 50), every receipt fsynced, delivered
 * over loopback to Postfix's smtp-sink (or, without Postfix, an in-process
 * sink). Run twice: with DKIM (RSA-2048, the account's verified domain) and
 * without (no account: nothing to sign for). Reports accepted and delivered
 * msg/s, submit latency percentiles, CPU ms per message (this whole process:
 * Outpost and the submitters; with the in-process sink, the sink too) and peak RSS.
 * This is the benchmark to profile: `npm run bench:profile`.
 *
 *   npm run bench:delivery -- --messages 5000 --concurrency 50 --signing both|dkim|none
 *
 * Bounded: a fixed message count and a 5-minute deadline per run; loopback only.
 */
import { parseArgs } from 'node:util';
import { startDnsServer } from '../test/support/dns-server.js';
import { addVerifiedDomain } from '../test/support/domains.js';
import { createAccount } from '../test/support/http.js';
import { percentile } from '../test/support/http-load.js';
import { rawMessage, startOutpost } from '../test/support/outpost.js';
import { SENDING_ZONE } from '../test/support/rest-sender.js';
import { startCountingSink } from './lib/counting-sink.js';
import { megabytes } from './lib/process-usage.js';
import { recordResult, round, sectionHeader } from './lib/results.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '50' },
    signing: { type: 'string', default: 'both' },
  },
});
const total = Number(values.messages);
const concurrency = Number(values.concurrency);
if (!['both', 'dkim', 'none'].includes(values.signing)) throw new Error('--signing is both, dkim or none');
const DEADLINE_MS = 5 * 60_000;

async function run(dkim: boolean) {
  const dns = await startDnsServer({ 'sink.test': { MX: [{ exchange: 'mx.sink.test', priority: 10 }] }, 'mx.sink.test': { A: ['127.0.0.1'] }, ...SENDING_ZONE });
  const sink = await startCountingSink();
  // production settings where they matter here: idle sessions kept 5 s, a quiet logger
  const server = await startOutpost({ dnsAddress: dns.address, deliveryPort: sink.port, env: { OUTPOST_API_RATE_LIMIT: '0', OUTPOST_DELIVERY_IDLE_TIMEOUT: '5s' } }).catch(
    async (error: unknown) => {
      await sink.close(); // smtp-sink is a separate process: never leave it behind
      await dns.close();
      throw error;
    },
  );
  try {
    let accountId: string | undefined;
    const from = dkim ? 'bench@acme.test' : 'bench@outpost.test';
    if (dkim) {
      const account = await createAccount(server.outpost, 'bench');
      await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
      accountId = account.id;
    }
    const raw = rawMessage({ from, to: ['user@sink.test'], body: ('x'.repeat(76) + '\r\n').repeat(24) });

    let peakRss = 0;
    const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
    const cpuStart = process.cpuUsage();
    const started = performance.now();
    const startedAt = Date.now();
    const latencies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total) {
          next++;
          const begin = performance.now();
          await server.outpost.submit({ from, to: ['user@sink.test'], raw, source: 'internal', ...(accountId ? { accountId } : {}) });
          latencies.push(performance.now() - begin);
        }
      }),
    );
    const acceptedMs = performance.now() - started;
    const deliveredAt = await sink.reached(total, DEADLINE_MS).catch(() => undefined);
    const cpu = process.cpuUsage(cpuStart);
    clearInterval(rssTimer);
    latencies.sort((a, b) => a - b);
    return {
      signing: dkim ? 'DKIM RSA-2048' : 'none',
      messages: total,
      delivered: sink.count,
      acceptedPerSecond: round(total / (acceptedMs / 1000)),
      deliveredPerSecond: deliveredAt ? round(total / ((deliveredAt - startedAt) / 1000)) : 0,
      submitLatencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)) },
      cpuMsPerMessage: round((cpu.user + cpu.system) / 1000 / total, 3),
      peakRssMb: megabytes(peakRss),
      sink: sink.kind,
    };
  } finally {
    await server.close();
    await sink.close();
    await dns.close();
  }
}

const runs = [];
if (values.signing !== 'none') runs.push(await run(true));
if (values.signing !== 'dkim') runs.push(await run(false));

console.log(`\nIn-process pipeline: ${total} messages of ~2 KB, 1 recipient, ${concurrency} concurrent submitters, fsynced, delivered to ${runs[0]?.sink}`);
console.table(
  runs.map((result) => ({
    signing: result.signing,
    'accepted msg/s': result.acceptedPerSecond,
    'delivered msg/s': result.deliveredPerSecond,
    'submit p50 ms': result.submitLatencyMs.p50,
    'submit p95 ms': result.submitLatencyMs.p95,
    'submit p99 ms': result.submitLatencyMs.p99,
    'CPU ms/msg': result.cpuMsPerMessage,
    'peak RSS MB': result.peakRssMb,
  })),
);
await recordResult('delivery', {
  ...sectionHeader('in-process pipeline submit → fsynced spool → SMTP delivery to a loopback sink', `npm run bench:delivery -- --messages ${total} --concurrency ${concurrency} --signing ${values.signing}`),
  cpuMeasures: 'the whole bench process: Outpost and the submit loops (and the sink when it is the in-process fallback)',
  runs,
});
const short = runs.filter((result) => result.delivered < total);
for (const result of short) console.error(`only ${result.delivered} of ${total} delivered before the deadline (${result.signing})`);
if (short.length > 0) process.exitCode = 1;
