/**
 * One HTTP request and its answer, over node:http or node:https, with the body
 * streamed from a Readable (backpressure: a file is read only as fast as the
 * socket takes it). Why not fetch: when the server refuses an upload early
 * (401, 413, 429) it answers before reading the body and closes; node's http
 * client hands over that answer, where fetch reports only the broken pipe.
 * It must never buffer a request body, and never leave a socket or a file
 * stream open once the exchange has settled.
 */
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';

export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** A Buffer, or a stream made for this one try (a stream is consumed by sending it). */
  body?: Buffer | Readable;
  /** Longest silence from the server, or stall of the upload, before the try is given up. */
  idleTimeoutMs: number;
  signal?: AbortSignal;
}

export interface HttpAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** The try failed without a complete answer. */
export class ExchangeFailure extends Error {
  constructor(
    message: string,
    /** timeout | aborted | network | body (the request body's own stream failed, e.g. a file read) */
    readonly reason: 'timeout' | 'aborted' | 'network' | 'body',
    /** The connection was made, so the server may have received (and acted on) the request. */
    readonly reachedServer: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Connections are kept for the next request; idle ones never keep the process alive. */
const agents = { 'http:': new http.Agent({ keepAlive: true }), 'https:': new https.Agent({ keepAlive: true }) };

export function exchange(request: HttpRequest): Promise<HttpAnswer> {
  return new Promise<HttpAnswer>((resolve, reject) => {
    const transport = request.url.protocol === 'https:' ? https : http;
    let settled = false;
    let connected = false;
    let answered = false;
    const body = request.body;

    const fail = (failure: ExchangeFailure): void => {
      if (settled) return;
      settled = true;
      request.signal?.removeEventListener('abort', onAbort);
      if (body && !Buffer.isBuffer(body)) body.destroy();
      outgoing.destroy();
      reject(failure);
    };

    const outgoing = transport.request(request.url, {
      method: request.method,
      headers: request.headers,
      agent: agents[request.url.protocol as 'http:' | 'https:'],
    });

    const onAbort = (): void => fail(new ExchangeFailure('the request was aborted', 'aborted', connected));
    if (request.signal?.aborted) return onAbort();
    request.signal?.addEventListener('abort', onAbort, { once: true });

    outgoing.setTimeout(request.idleTimeoutMs, () =>
      fail(new ExchangeFailure(`no progress for ${Math.round(request.idleTimeoutMs / 1000)} s (the server did not answer, or the upload stalled)`, 'timeout', connected)),
    );
    outgoing.on('socket', (socket) => {
      // a reused keep-alive socket is connected already
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });

    outgoing.on('response', (response) => {
      answered = true;
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', (error) => fail(new ExchangeFailure(`the answer was cut off: ${error.message}`, 'network', true, { cause: error })));
      response.on('end', () => {
        if (settled) return;
        settled = true;
        request.signal?.removeEventListener('abort', onAbort);
        // an early answer (a refused upload): the rest of the body is not wanted, nor the connection it was going over
        if (!outgoing.writableFinished) {
          if (body && !Buffer.isBuffer(body)) body.destroy();
          outgoing.destroy();
        }
        resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
      });
    });

    outgoing.on('error', (error: NodeJS.ErrnoException) => {
      // writing the rest of a refused upload fails once the server has answered and closed: the answer is what counts
      if (answered) return;
      fail(new ExchangeFailure(describeNetworkError(error, request.url), 'network', connected, { cause: error }));
    });

    if (body === undefined) outgoing.end();
    else if (Buffer.isBuffer(body)) outgoing.end(body);
    else {
      body.on('error', (error: NodeJS.ErrnoException) => fail(new ExchangeFailure(error.message, 'body', connected, { cause: error })));
      body.pipe(outgoing);
    }
  });
}

function describeNetworkError(error: NodeJS.ErrnoException, url: URL): string {
  const where = `${url.protocol}//${url.host}`;
  switch (error.code) {
    case 'ECONNREFUSED':
      return `nothing answers at ${where} (connection refused): is Outpost running there, and is the URL right?`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve ${url.hostname}: check the URL`;
    case 'ECONNRESET':
    case 'EPIPE':
      return `the connection to ${where} was cut before the answer arrived`;
    default:
      return `cannot reach ${where}: ${error.message}`;
  }
}
