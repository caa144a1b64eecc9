/**
 * What the scan tests share: archives built in memory with maintained
 * libraries (yazl, tar-stream, zlib: zip bombs from a stream of zeros, never
 * written to disk), the test strings (GTUBE, EICAR), and one Outpost per suite
 * (the REST send harness, whose submission listener takes SMTP too) with
 * helpers to send both ways, to prove a refused message reached nothing, to
 * read a message's `scanned` events and to set a domain's or account's scan settings.
 */
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import yazl from 'yazl';
import type { ScanDetails } from '../../../core/status/types.js';
import { message, startSendHarness, type SendHarness, type SendResponse } from '../../api/http/send-harness.js';
import { request } from '../../support/http.js';
import { allFinal, TEST_ADMIN_KEY, waitForStatus } from '../../support/outpost.js';
import { submissionTransport } from '../../support/submission.js';

export { EICAR } from '../../../plugins/scan/eicar.js';
export { GTUBE } from '../../../plugins/scan/gtube.js';
/** startSendHarness: Outpost (REST, and SMTP on its submission listener) with an account and its verified domain acme.test. */
export { message, startSendHarness, type SendHarness };

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

/** A zip of `files`, deflated (or stored with `compress: false`). */
export async function zipOf(files: [name: string, content: Buffer][], options: { compress?: boolean } = {}): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const [name, content] of files) zip.addBuffer(content, name, { compress: options.compress ?? true });
  zip.end();
  return collect(zip.outputStream);
}

/** A tar of `files`. */
export async function tarOf(files: [name: string, content: Buffer][]): Promise<Buffer> {
  const pack = tar.pack();
  for (const [name, content] of files) pack.entry({ name }, content);
  pack.finalize();
  return collect(pack);
}

/** `total` zero bytes as a stream of 1 MiB chunks (one buffer, pushed again and again). */
export function zeros(total: number): Readable {
  const chunk = Buffer.alloc(1024 * 1024);
  let sent = 0;
  return new Readable({
    read() {
      const size = Math.min(chunk.length, total - sent);
      sent += size;
      this.push(size > 0 ? chunk.subarray(0, size) : null);
    },
  });
}

/** A zip holding `bytes` zeros in one deflated entry: about a thousandth of that on the wire. */
export async function zipOfZeros(name: string, bytes: number): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  zip.addReadStream(zeros(bytes), name, { size: bytes });
  zip.end();
  return collect(zip.outputStream);
}

/** A gzip of `bytes` zeros whose trailer claims it expands to `claimedBytes` (a bomb that lies). */
export async function gzipOfZeros(bytes: number, claimedBytes = bytes): Promise<Buffer> {
  const gzip = await collect(zeros(bytes).pipe(zlib.createGzip()));
  gzip.writeUInt32LE(claimedBytes % 2 ** 32, gzip.length - 4);
  return gzip;
}

/** A JSON attachment of POST /v1/mail/send. */
export function attachment(filename: string, content: Buffer, contentType = 'application/octet-stream') {
  return { filename, content: content.toString('base64'), content_type: contentType };
}

/** Sends over the submission listener (STARTTLS + AUTH) with nodemailer; resolves with the 250 reply. */
export async function sendOverSmtp(harness: SendHarness, mail: { subject?: string; text?: string; attachments?: { filename: string; content: Buffer }[] }): Promise<string> {
  const address = harness.server.outpost.submissionAddress;
  if (!address) throw new Error('the test server has no submission listener');
  const transport = submissionTransport(address, { user: harness.accountId, pass: harness.apiKey });
  try {
    const info = await transport.sendMail({ from: 'sender@acme.test', to: 'user@dest.test', subject: mail.subject ?? 'Hello', text: mail.text ?? 'Hello there.', attachments: mail.attachments ?? [] });
    return info.response;
  } finally {
    transport.close();
  }
}

/** Asserts SMTP refused the message at DATA with `code` and enhanced `status`; returns the reply. */
export async function assertSmtpRefused(sending: Promise<string>, code: number, status: string): Promise<string> {
  let reply = '';
  await assert.rejects(sending, (error: { responseCode?: number; response?: string }) => {
    reply = error.response ?? '';
    assert.equal(error.responseCode, code, reply);
    assert.match(reply, new RegExp(`^${code} ${status.replace(/\./g, '\\.')} `), reply);
    return true;
  });
  return reply;
}

/** Counts of what got through so far, to compare after a refusal. */
export function passedSoFar(harness: SendHarness): { accepted: number; delivered: number } {
  return { accepted: harness.accepted.length, delivered: harness.mx.messages.length };
}

/** Asserts the REST answer refused the message with `status` and `code`, and that it was neither queued nor delivered. */
export function assertRestRefused(harness: SendHarness, response: SendResponse, status: number, code: string, before: { accepted: number; delivered: number }): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.code, code, JSON.stringify(response.body));
  assert.deepEqual(passedSoFar(harness), before, 'nothing was accepted or delivered');
}

/** Waits until the message is final and returns its `scanned` events (GET /v1/mail/messages/:id). */
export async function scannedEvents(harness: SendHarness, messageId: string): Promise<ScanDetails[]> {
  await waitForStatus(harness.server.outpost, messageId, allFinal);
  const view = await request<{ events: { type: string; scan?: ScanDetails }[] }>(harness.server.outpost, 'GET', `/v1/mail/messages/${messageId}`, { key: harness.apiKey });
  assert.equal(view.status, 200, JSON.stringify(view.body));
  return view.body.events.filter((event) => event.type === 'scanned').map((event) => event.scan!);
}

/** The raw message with `subject` as the destination got it (waits for it to arrive). */
export async function deliveredWithSubject(harness: SendHarness, subject: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const found = harness.mx.messages.find((received) => received.raw.toString('latin1').includes(`Subject: ${subject}`));
    if (found) return found.raw.toString('latin1');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`no message with subject ${subject} reached the destination`);
}

/** PATCH /v1/domains/acme.test { scan } (the account's key); `{}` puts every field back to the plugins' settings. */
export async function setDomainScan(harness: SendHarness, scan: Record<string, unknown>): Promise<void> {
  const response = await request(harness.server.outpost, 'PATCH', '/v1/domains/acme.test', { key: harness.apiKey, json: { scan } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

/** PATCH /v1/accounts/:id { scan } (the admin key). */
export async function setAccountScan(harness: SendHarness, scan: Record<string, unknown>): Promise<void> {
  const response = await request(harness.server.outpost, 'PATCH', `/v1/accounts/${harness.accountId}`, { key: TEST_ADMIN_KEY, json: { scan } });
  assert.equal(response.status, 200, JSON.stringify(response.body));
}

/** The largest RSS seen while `work` runs (sampled every 5 ms), above what it was before. */
export async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ result: T; growthBytes: number; ms: number }> {
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const started = performance.now();
  try {
    const result = await work();
    peak = Math.max(peak, process.memoryUsage.rss());
    return { result, growthBytes: peak - before, ms: performance.now() - started };
  } finally {
    clearInterval(sampler);
  }
}
