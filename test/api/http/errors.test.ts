/**
 * The JSON error shape where Node or the router would answer on their own: an
 * HTTP method Outpost never implements (501) or does not allow on a path (405,
 * with Allow), request headers past Node's limit (431), and a multipart upload
 * refused midway, whose 413 the client must be able to read although it is
 * still sending. Each answer is read by a real node:http client.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { baseUrlOf } from '../../support/http.js';
import { useSendHarness, type SendHarness } from './send-harness.js';

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

const BOUNDARY = 'outpost-errors-boundary-Qx81LmZ';

/** One request with node:http (fetch refuses methods such as TRACE); resolves once the whole answer is read. */
function rawRequest(harness: SendHarness, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = http.request(new URL(path, baseUrlOf(harness.server.outpost)), { method, headers, agent: false }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('end', () => resolve({ status: incoming.statusCode!, headers: incoming.headers, text: Buffer.concat(chunks).toString('utf8') }));
      incoming.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** Asserts the SPEC's error shape: JSON with a code and a message, no stack trace. */
function assertErrorShape(response: RawResponse, status: number, code: string): { code: string; message: string } {
  assert.equal(response.status, status, response.text);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = JSON.parse(response.text) as { code: string; message: string };
  assert.equal(body.code, code, response.text);
  assert.equal(typeof body.message, 'string');
  assert.doesNotMatch(body.message, /\n\s+at /, 'no stack trace');
  return body;
}

/**
 * POSTs a multipart send whose one file part is `fileBytes` long, as a client does
 * that sends its whole body (with backpressure) before it reads anything: the
 * socket reads nothing until the body is sent. Resolves with the answer, or
 * rejects when the connection failed before it could be read.
 */
async function uploadTooLarge(harness: SendHarness, fileBytes: number): Promise<RawResponse> {
  const fields = { from: 'sender@acme.test', to: 'user@dest.test', subject: 'big', text: 'see attached' };
  const head = Buffer.from(
    Object.entries(fields).map(([name, value]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`).join('') +
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="attachments"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
  const chunk = Buffer.alloc(64 * 1024, 7);
  async function* body(): AsyncGenerator<Buffer> {
    yield head;
    for (let written = 0; written < fileBytes; written += chunk.length) yield chunk.subarray(0, Math.min(chunk.length, fileBytes - written));
    yield tail;
  }
  const outgoing = http.request(new URL('/v1/mail/send', baseUrlOf(harness.server.outpost)), {
    method: 'POST',
    agent: false,
    headers: {
      authorization: `Bearer ${harness.apiKey}`,
      'content-type': `multipart/form-data; boundary=${BOUNDARY}`,
      'content-length': String(head.length + fileBytes + tail.length),
    },
  });
  const answered = new Promise<http.IncomingMessage>((resolve, reject) => outgoing.once('response', resolve).once('error', reject));
  answered.catch(() => undefined);
  outgoing.once('socket', (socket) => socket.pause());
  try {
    await pipeline(Readable.from(body()), outgoing);
    outgoing.socket!.resume();
    const incoming = await answered;
    const text = Buffer.concat(await incoming.toArray()).toString('utf8');
    return { status: incoming.statusCode!, headers: incoming.headers, text };
  } catch (error) {
    throw new Error(`the connection failed before the answer could be read: ${(error as Error).message}`);
  } finally {
    outgoing.destroy();
  }
}

describe('HTTP error shapes', () => {
  let harness: SendHarness;
  const setUp = useSendHarness((started) => (harness = started));

  it('answers a method Outpost never implements with 501 not_implemented, on any path', async () => {
    await setUp();
    for (const [method, path] of [['TRACE', '/v1/mail/send'], ['PROPFIND', '/v1/accounts'], ['MKCOL', '/no/such/path']] as const) {
      const body = assertErrorShape(await rawRequest(harness, method, path), 501, 'not_implemented');
      assert.match(body.message, new RegExp(method));
    }
  });

  it('answers a known path with a method it does not take with 405 method_not_allowed and Allow', async () => {
    await setUp();
    const response = await rawRequest(harness, 'DELETE', '/v1/mail/send', { authorization: `Bearer ${harness.apiKey}` });
    const body = assertErrorShape(response, 405, 'method_not_allowed');
    assert.match(String(response.headers.allow), /\bPOST\b/);
    assert.match(body.message, /DELETE.*\/v1\/mail\/send.*POST/);
  });

  it('logs no stack trace for either', async () => {
    const logged: unknown[] = [];
    await setUp();
    const logger = harness.server.outpost.logger as Logger;
    const error = logger.error.bind(logger);
    logger.error = ((...args: unknown[]) => void logged.push(args)) as typeof logger.error;
    try {
      await rawRequest(harness, 'TRACE', '/v1/mail/send');
      await rawRequest(harness, 'DELETE', '/v1/mail/send');
    } finally {
      logger.error = error;
    }
    assert.deepEqual(logged, []);
  });

  it('answers request headers past the limit with 431 headers_too_large in the JSON shape, and closes', async () => {
    await setUp();
    const response = await rawRequest(harness, 'GET', '/v1/mail/messages', { authorization: `Bearer ${harness.apiKey}`, 'x-filler': 'a'.repeat(20 * 1024) });
    const body = assertErrorShape(response, 431, 'headers_too_large');
    assert.match(body.message, /16 KiB|16384/);
    assert.equal(response.headers.connection, 'close');
  });

  it('lets a client still sending an over-limit multipart upload read its 413', async function () {
    this.timeout(30_000);
    await setUp({ env: { OUTPOST_API_MAX_ATTACHMENT_BYTES: String(256 * 1024) } });
    // several times what the socket buffers on both sides hold, so the client is still writing when the 413 comes
    for (let attempt = 0; attempt < 3; attempt++) {
      const response = await uploadTooLarge(harness, 12 * 1024 * 1024);
      assertErrorShape(response, 413, 'attachment_too_large');
    }
  });
});
