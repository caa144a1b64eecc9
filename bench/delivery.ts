/**
 * Core MTA benchmark: N messages (default 5,000, ~2 KB, 1 recipient) submitted
 * through the pipeline with C concurrent submitters (default 50), every receipt
 * fsynced, delivered over loopback to a real smtp-server sink. Reports accepted
 * and delivered msg/s, submit latency percentiles, CPU ms per message and peak RSS.
 *
 *   npm run bench -- --messages 5000 --concurrency 50
 *
 * Bounded: a fixed message count and a 5-minute deadline; loopback only.
 */
import { writeFile } from 'node:fs/promises';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { startDnsServer } from '../test/support/dns-server.js';
import { startMxServer } from '../test/support/mx-server.js';
import { rawMessage, startOutpost } from '../test/support/outpost.js';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '5000' }, concurrency: { type: 'string', default: '50' } } });
const total = Number(values.messages);
const concurrency = Number(values.concurrency);
const DEADLINE_MS = 5 * 60_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const dns = await startDnsServer({ 'sink.test': { MX: [{ exchange: 'mx.sink.test', priority: 10 }] }, 'mx.sink.test': { A: ['127.0.0.1'] } });
const sink = await startMxServer({ size: 50 * 1024 * 1024 });
const server = await startOutpost({ dnsAddress: dns.address, deliveryPort: sink.port });
const body = 'x'.repeat(76) + '\r\n';
const raw = rawMessage({ from: 'bench@outpost.test', to: ['user@sink.test'], body: body.repeat(24) });

let delivered = 0;
server.outpost.events.on('recipient:delivered', () => void delivered++);
let peakRss = 0;
const rssTimer = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

const cpuStart = process.cpuUsage();
const started = performance.now();
const latencies: number[] = [];
let next = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      const begin = performance.now();
      await server.outpost.submit({ from: 'bench@outpost.test', to: ['user@sink.test'], raw, source: 'internal' });
      latencies.push(performance.now() - begin);
    }
  }),
);
const acceptedMs = performance.now() - started;
while (delivered < total && performance.now() - started < DEADLINE_MS) await new Promise((resolve) => setTimeout(resolve, 20));
const deliveredMs = performance.now() - started;
const cpu = process.cpuUsage(cpuStart);
clearInterval(rssTimer);

latencies.sort((a, b) => a - b);
const result = {
  benchmark: 'pipeline submit → fsynced spool → SMTP delivery to loopback sink',
  command: `npm run bench -- --messages ${total} --concurrency ${concurrency}`,
  machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  date: new Date().toISOString(),
  messages: total,
  delivered,
  acceptedPerSecond: Math.round(total / (acceptedMs / 1000)),
  deliveredPerSecond: Math.round(delivered / (deliveredMs / 1000)),
  submitLatencyMs: { p50: +percentile(latencies, 50).toFixed(2), p95: +percentile(latencies, 95).toFixed(2), p99: +percentile(latencies, 99).toFixed(2) },
  cpuMsPerMessage: +((cpu.user + cpu.system) / 1000 / total).toFixed(3),
  peakRssMb: Math.round(peakRss / 1024 / 1024),
  sinkConnections: sink.connections,
};
console.table({
  'accepted msg/s': result.acceptedPerSecond,
  'delivered msg/s': result.deliveredPerSecond,
  'submit p50 ms': result.submitLatencyMs.p50,
  'submit p95 ms': result.submitLatencyMs.p95,
  'submit p99 ms': result.submitLatencyMs.p99,
  'CPU ms/msg (whole process, incl. sink)': result.cpuMsPerMessage,
  'peak RSS MB': result.peakRssMb,
  'sink connections': result.sinkConnections,
});
await writeFile(new URL('./results/latest.json', import.meta.url), JSON.stringify(result, null, 2) + '\n');
await server.close();
await sink.close();
await dns.close();
if (delivered < total) {
  console.error(`only ${delivered} of ${total} delivered before the deadline`);
  process.exitCode = 1;
}
