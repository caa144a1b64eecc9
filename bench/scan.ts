/**
 * The CPU cost of the built-in scanner (scan-builtin), in process: its scan
 * function (plugins/scan/content-scan.ts, exactly what the plugin's hook runs)
 * called directly, one message after another, on a ~2 KB transactional message
 * (text and HTML) and on a ~1 MB message with a zip attachment (CSV and
 * binary entries, a nested zip). Measured per message: CPU time (process-wide,
 * so zlib's thread pool counts) and wall time, mean, p50 and p99; then the
 * share of the end-to-end CPU per message Outpost spends (the e2e benchmark's
 * cpuSecondsPer1000 for the TLS + AUTH + DKIM path from bench/results/latest.json,
 * or 1.6 ms when that is missing, said so in the output).
 *
 *   npm run bench:scan -- --small 5000 --large 200
 *
 * Bounded: the counts above; no network, nothing written but latest.json.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import yazl from 'yazl';
import { scanContent, type ContentScanOptions } from '../plugins/scan/content-scan.js';
import { recordResult, round, sectionHeader } from './lib/results.js';

const { values } = parseArgs({ options: { small: { type: 'string', default: '5000' }, large: { type: 'string', default: '200' } } });
const smallCount = Number(values.small);
const largeCount = Number(values.large);

/** scan-builtin's defaults (OUTPOST_SCAN_ARCHIVE_*, OUTPOST_SCAN_ATTACHMENTS). */
const DEFAULTS: ContentScanOptions = { limits: { maxDepth: 5, maxExpandedBytes: 64 * 1024 * 1024, maxRatio: 200, maxFiles: 1000 }, attachments: 'refuse' };
/** What bench:e2e measured when latest.json has nothing: ~1.6 ms of CPU per message end to end (TLS + AUTH + DKIM). */
const ASSUMED_E2E_MS = 1.6;

function smallMessage(index: number): Buffer {
  const text = `Hello Ada,\r\n\r\nThank you for your order #${index}. It ships tomorrow; track it at https://shop.acme.test/orders/${index}.\r\n\r\n`.repeat(6);
  const html = `<html><body><p>Hello Ada,</p><p>Thank you for your order <b>#${index}</b>. It ships tomorrow; <a href="https://shop.acme.test/orders/${index}">track it</a>.</p></body></html>\r\n`.repeat(5);
  return Buffer.from([
    'From: Acme Shop <orders@acme.test>', 'To: ada@dest.test', `Subject: Your order #${index}`, 'Date: Sun, 06 Dec 2026 04:00:00 +0000',
    `Message-ID: <order-${index}@acme.test>`, 'MIME-Version: 1.0', 'Content-Type: multipart/alternative; boundary="alt"', '',
    '--alt', 'Content-Type: text/plain; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', text,
    '--alt', 'Content-Type: text/html; charset=utf-8', 'Content-Transfer-Encoding: quoted-printable', '', html, '--alt--', '',
  ].join('\r\n'));
}

async function zipOf(files: [string, Buffer][]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of files) zip.addBuffer(content, name);
  zip.end();
  const parts: Buffer[] = [];
  for await (const part of zip.outputStream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** ~1 MB on the wire: a zip (~740 KB) of a CSV, an incompressible PDF-like blob and a nested zip, base64 in a multipart/mixed message. */
async function largeMessage(): Promise<Buffer> {
  const csv = Buffer.from(Array.from({ length: 40_000 }, (_, row) => `${row},2026-12-0${row % 9 + 1},${(row * 7919) % 100_000},EUR,settled\n`).join(''));
  const inner = await zipOf([['statement.csv', csv.subarray(0, 200_000)]]);
  const archive = await zipOf([['ledger.csv', csv], ['scan.pdf', randomBytes(600_000)], ['archive/2025.zip', inner]]);
  const base64 = archive.toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from([
    'From: Acme Billing <billing@acme.test>', 'To: ada@dest.test', 'Subject: Your statements', 'MIME-Version: 1.0',
    'Content-Type: multipart/mixed; boundary="mixed"', '', '--mixed', 'Content-Type: text/plain; charset=utf-8', '', 'Your statements are attached.', '',
    '--mixed', 'Content-Type: application/zip; name="statements.zip"', 'Content-Disposition: attachment; filename="statements.zip"',
    'Content-Transfer-Encoding: base64', '', base64, '--mixed--', '',
  ].join('\r\n'));
}

function percentile(sorted: number[], fraction: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))]!;
}

/** Scans `count` messages after a warm-up; CPU and wall time per message in ms. */
async function measure(label: string, count: number, messageFor: (index: number) => Buffer) {
  for (let index = 0; index < Math.min(200, count); index++) await scanContent(messageFor(index), DEFAULTS);
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let index = 0; index < count; index++) {
    const raw = messageFor(index);
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    const finding = await scanContent(raw, DEFAULTS);
    wall.push(performance.now() - wallStart);
    const used = process.cpuUsage(cpuStart);
    cpu.push((used.user + used.system) / 1000);
    if (finding.verdict !== 'clean') throw new Error(`${label}: the bench message was found ${finding.verdict}: ${finding.reason}`);
  }
  cpu.sort((a, b) => a - b);
  wall.sort((a, b) => a - b);
  const mean = (list: number[]) => list.reduce((sum, value) => sum + value, 0) / list.length;
  return {
    messages: count,
    messageBytes: messageFor(0).length,
    cpuMsPerMessage: round(mean(cpu), 3),
    cpuMsP50: round(percentile(cpu, 0.5), 3),
    cpuMsP99: round(percentile(cpu, 0.99), 3),
    wallMsP50: round(percentile(wall, 0.5), 3),
    wallMsP99: round(percentile(wall, 0.99), 3),
  };
}

/** End-to-end CPU per message from bench:e2e's last recorded run, or the assumed figure. */
async function endToEndMsPerMessage(): Promise<{ ms: number; source: string }> {
  try {
    const latest = JSON.parse(await readFile(new URL('./results/latest.json', import.meta.url), 'utf8')) as { e2e?: { runs?: { system: string; path: string; recipients: number; workers?: number; cpuSecondsPer1000?: number }[] } };
    const run = latest.e2e?.runs?.find((entry) => entry.system === 'Outpost' && entry.path === 'tls-auth-client' && entry.recipients === 1 && (entry.workers ?? 1) === 1);
    if (run?.cpuSecondsPer1000) return { ms: run.cpuSecondsPer1000, source: 'bench:e2e (latest.json): Outpost, TLS + AUTH + DKIM, 1 recipient, 1 worker' };
  } catch {
    // no results yet: the assumed figure below
  }
  return { ms: ASSUMED_E2E_MS, source: `assumed ${ASSUMED_E2E_MS} ms/message (no bench:e2e figure in latest.json)` };
}

const large = await largeMessage();
const small = await measure('small', smallCount, smallMessage);
const withArchive = await measure('large', largeCount, () => large);
const e2e = await endToEndMsPerMessage();
const share = (ms: number) => round((ms / e2e.ms) * 100, 1);

// the e2e figure is for a ~3 KB message: a 1 MB message costs far more end to end too (DKIM body hash, spool write, delivery)
const notes = [`share = scan CPU / end-to-end CPU of a ~3 KB message (${e2e.ms} ms, ${e2e.source}); for the 1 MB message it only says how many small messages its scan costs`];
console.log(`built-in scanner, in process; ${notes[0]}`);
console.table({
  [`~2 KB message (${small.messageBytes} B)`]: { ...small, shareOfE2eCpuPercent: share(small.cpuMsPerMessage) },
  [`~1 MB with zip (${withArchive.messageBytes} B)`]: { ...withArchive, shareOfE2eCpuPercent: share(withArchive.cpuMsPerMessage) },
});

await recordResult('scan', {
  ...sectionHeader('built-in scanner (scan-builtin) CPU per message, in process: its scan function called directly', `npm run bench:scan -- --small ${smallCount} --large ${largeCount}`),
  small,
  largeWithArchive: withArchive,
  e2eCpuMsPerMessage: e2e.ms,
  e2eSource: e2e.source,
  shareOfE2eCpuPercent: { small: share(small.cpuMsPerMessage), largeWithArchive: share(withArchive.cpuMsPerMessage) },
  notes,
});
