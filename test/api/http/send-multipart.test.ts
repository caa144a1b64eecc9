/**
 * POST /v1/mail/send with a multipart/form-data body: repeated fields, file
 * parts as attachments (checked where they arrive), a 10 MB upload streamed
 * through with bounded memory, the limits that stop an upload midway, and the
 * upload directory left empty afterwards.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import v8 from 'node:v8';
import vm from 'node:vm';
import { simpleParser } from 'mailparser';
import { baseUrlOf } from '../../support/http.js';
import { assertRefused, headerBlock, SENDER, sentAndFinal, type SendHarness, type SendResponse, useSendHarness } from './send-harness.js';

const BOUNDARY = 'outpost-test-boundary-7MA4YWxkTrZu0gW';

type Part = { name: string; value: string } | { name: string; filename: string; contentType?: string; content: Buffer; disposition?: string };

/** The bytes of one part's header and body, as a browser or curl would send them. */
function partBytes(part: Part): Buffer {
  if ('value' in part) {
    return Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`);
  }
  const disposition = part.disposition ?? `form-data; name="${part.name}"; filename="${part.filename}"`;
  const type = part.contentType ? `Content-Type: ${part.contentType}\r\n` : '';
  return Buffer.concat([Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: ${disposition}\r\n${type}\r\n`), part.content, Buffer.from('\r\n')]);
}

function multipart(parts: Part[]): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.concat([...parts.map(partBytes), Buffer.from(`--${BOUNDARY}--\r\n`)]));
}

const MULTIPART = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };
const fields = (values: Record<string, string | string[]>): Part[] =>
  Object.entries(values).flatMap(([name, value]) => [value].flat().map((each) => ({ name, value: each })));
const basics = (): Part[] => fields({ from: SENDER, to: 'user@dest.test', subject: 'Files', text: 'See attached.' });

describe('POST /v1/mail/send (multipart/form-data)', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  async function uploadsLeft(): Promise<string[]> {
    return readdir(path.join(harness.server.dataDir, 'uploads')).catch(() => []);
  }

  it('takes repeated to/cc/bcc/tags fields, flags and file parts named attachments', async () => {
    await setUp();
    const image = Buffer.from(Array.from({ length: 5000 }, (_, index) => (index * 31) % 256));
    const response = await harness.sendBody(multipart([
      ...fields({
        from: SENDER, from_name: 'Acme Billing', subject: 'Your invoice', text: 'Invoice attached.',
        to: ['one@dest.test', 'two@dest.test'], cc: 'three@dest.test', bcc: ['hidden@dest.test', 'ONE@dest.test'],
        tags: ['invoice', 'march'], require_tls: 'false',
      }),
      { name: 'attachments', filename: 'invoice.png', contentType: 'image/png', content: image },
      { name: 'attachments', filename: 'notes.txt', contentType: 'text/plain', content: Buffer.from('line one\nline two\n') },
    ]), MULTIPART);
    assert.equal(response.body.accepted_recipients, 4, JSON.stringify(response.body));
    const view = await sentAndFinal(harness, response);
    assert.deepEqual(view.tags, ['invoice', 'march']);
    const received = await harness.mx.waitForMessages(1);
    assert.deepEqual(received[0]!.rcptTo.sort(), ['hidden@dest.test', 'one@dest.test', 'three@dest.test', 'two@dest.test']);
    const parsed = await simpleParser(received[0]!.raw);
    assert.deepEqual(parsed.from?.value, [{ address: SENDER, name: 'Acme Billing' }]);
    assert.doesNotMatch(headerBlock(received[0]!.raw), /hidden/);
    assert.deepEqual(parsed.attachments.map((each) => [each.filename, each.contentType]), [['invoice.png', 'image/png'], ['notes.txt', 'text/plain']]);
    assert.ok(parsed.attachments[0]!.content.equals(image));
    assert.equal(parsed.attachments[1]!.content.toString(), 'line one\nline two\n');
    assert.deepEqual(await uploadsLeft(), [], 'the upload directory is removed once answered');
  });

  it('keeps a non-ASCII file name (RFC 5987 filename*) and refuses one with a line break', async () => {
    await setUp();
    const named = (filename: string): Part => ({ name: 'attachments', filename: '', contentType: 'text/plain', content: Buffer.from('x'), disposition: `form-data; name="attachments"; filename*=utf-8''${encodeURIComponent(filename)}` });
    const refused = await harness.sendBody(multipart([...basics(), named('a.txt\r\nX-Evil: 1')]), MULTIPART);
    assertRefused(harness, refused, 400, 'header_injection');
    assert.match(refused.body.message, /^attachments\.0\.filename: /);
    const response = await harness.sendBody(multipart([...basics(), named('Übersicht März.txt')]), MULTIPART);
    await sentAndFinal(harness, response);
    const [received] = await harness.mx.waitForMessages(1);
    assert.equal((await simpleParser(received!.raw)).attachments[0]!.filename, 'Übersicht März.txt');
  });

  it('streams a 10 MB attachment through with bounded memory', async function () {
    this.timeout(60_000);
    await setUp();
    const size = 10 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024);
    const sent = createHash('sha256');
    const baseline = liveBytes();
    let peakDuringUpload = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      yield Buffer.concat(basics().map(partBytes));
      yield Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
      for (let index = 0; index * chunk.length < size; index++) {
        chunk.fill(index);
        sent.update(chunk);
        // every megabyte: what the server (and this client) hold while the upload is under way
        if (index % 16 === 15) peakDuringUpload = Math.max(peakDuringUpload, liveBytes() - baseline);
        yield new Uint8Array(chunk);
      }
      yield Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
    }
    const response = await streamUpload(harness, body());
    // a quarter of the upload at most; a buffering implementation holds all of it (CI machines are noisy, hence the margin)
    assert.ok(peakDuringUpload < size / 3, `live memory grew by ${peakDuringUpload} bytes while uploading ${size}`);
    await sentAndFinal(harness, response);
    const [received] = await harness.mx.waitForMessages(1, 30_000);
    const attachment = (await simpleParser(received!.raw)).attachments[0]!;
    assert.equal(attachment.size, size);
    assert.equal(createHash('sha256').update(attachment.content).digest('hex'), sent.digest('hex'));
    assert.deepEqual(await uploadsLeft(), []);
  });

  it('refuses a text field named attachments (a path) with attachment_path_refused', async () => {
    await setUp();
    const response = await harness.sendBody(multipart([...basics(), { name: 'attachments', value: '/etc/passwd' }]), MULTIPART);
    assertRefused(harness, response, 400, 'attachment_path_refused');
  });

  it('refuses a file part with another name, a repeated single field and an unknown field, naming them', async () => {
    await setUp();
    const cases: [Part[], string][] = [
      [[...basics(), { name: 'file', filename: 'a.txt', content: Buffer.from('a') }], 'file'],
      [[...basics(), { name: 'subject', value: 'again' }], 'subject'],
      [[...basics(), { name: 'priority', value: 'high' }], 'priority'],
      [[...basics(), { name: 'attachments', filename: 'a.txt', contentType: 'message/rfc822', content: Buffer.from('a') }], 'attachments.0.content_type'],
      [[...basics(), { name: 'test_mode', value: 'yes' }], 'test_mode'],
    ];
    for (const [parts, field] of cases) {
      const response = await harness.sendBody(multipart(parts), MULTIPART);
      assertRefused(harness, response, 400, 'invalid_request');
      assert.ok(response.body.details?.some((detail) => detail.field === field), JSON.stringify(response.body));
    }
  });

  it('stops an upload past OUTPOST_API_MAX_ATTACHMENTS or OUTPOST_API_MAX_ATTACHMENT_BYTES with 413 and removes what was written', async () => {
    await setUp({ env: { OUTPOST_API_MAX_ATTACHMENTS: '2', OUTPOST_API_MAX_ATTACHMENT_BYTES: String(256 * 1024) } });
    const file = (size: number): Part => ({ name: 'attachments', filename: 'part.bin', contentType: 'application/octet-stream', content: Buffer.alloc(size, 7) });
    const tooMany = await harness.sendBody(multipart([...basics(), file(10), file(10), file(10)]), MULTIPART);
    assertRefused(harness, tooMany, 413, 'too_many_attachments');
    const tooLarge = await harness.sendBody(multipart([...basics(), file(200 * 1024), file(200 * 1024)]), MULTIPART);
    assertRefused(harness, tooLarge, 413, 'attachment_too_large');
    assert.deepEqual(await uploadsLeft(), []);
  });

  it('refuses a multipart body without a boundary, or cut off, with 400', async () => {
    await setUp();
    assertRefused(harness, await harness.sendBody('x', { 'content-type': 'multipart/form-data' }), 400, 'invalid_request');
    const truncated = multipart(basics()).subarray(0, 60);
    assertRefused(harness, await harness.sendBody(truncated, MULTIPART), 400, 'invalid_request');
    assert.deepEqual(await uploadsLeft(), []);
  });
});

/**
 * POSTs a multipart body produced chunk by chunk, with backpressure. Not fetch:
 * undici keeps every chunk of a streamed request body until the request ends
 * (nodejs/undici#4058), so the client itself would hold the whole upload.
 */
async function streamUpload(harness: SendHarness, chunks: AsyncIterable<Uint8Array>): Promise<SendResponse> {
  const url = new URL('/v1/mail/send', baseUrlOf(harness.server.outpost));
  const outgoing = http.request(url, { method: 'POST', headers: { ...MULTIPART, authorization: `Bearer ${harness.apiKey}` } });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => outgoing.once('response', resolve).once('error', reject));
  await pipeline(Readable.from(chunks), outgoing);
  const incoming = await answered;
  const text = (await incoming.toArray()).join('');
  return { status: incoming.statusCode!, headers: new Headers(), body: JSON.parse(text) } as SendResponse;
}

/**
 * A full garbage collection. Mocha runs without --expose-gc, so the flag is set
 * at run time; without collecting first, chunks already written (garbage not yet
 * collected) would count as memory held.
 */
const collectGarbage: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Memory held by live JS objects and Buffers (what buffering an upload would grow). */
function liveBytes(): number {
  collectGarbage();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}
