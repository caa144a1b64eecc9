/**
 * The HTTP listener as a front end: bound early in the start (a busy port fails
 * it with the one-line error naming OUTPOST_HTTP_PORT), answering 503 until the
 * core is ready, then serving the Koa app over the Intake. On stop it takes no
 * new connections and closes idle ones; requests in flight finish (the pipeline
 * refuses new messages meanwhile) until cut() once deliveries have stopped.
 * What Node's HTTP parser refuses before any request exists (headers past its
 * limit, a malformed request) is answered in the API's JSON error shape too.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { OutpostConfig } from '../../config/index.js';
import { outpostError, type OutpostError } from '../../core/errors.js';
import type { FrontEnd, Intake } from '../../core/intake.js';
import { listen } from '../../core/listen.js';
import { createHttpApp } from './app.js';

/** Answers requests that come before the core is ready. */
function notReadyYet(_request: http.IncomingMessage, response: http.ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end(JSON.stringify({ code: 'shutting_down', message: 'Outpost is starting; retry in a moment' }));
}

/** How long a client refused by the parser has to read the answer before the socket is destroyed. */
const REFUSAL_LINGER_MS = 2000;

/** The error for what the HTTP parser refused (Node's clientError codes). */
function parserRefusal(error: NodeJS.ErrnoException, server: http.Server): OutpostError {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW': {
      // Node's limit (--max-http-header-size); Outpost does not set its own
      const limit = http.maxHeaderSize;
      return outpostError('headers_too_large', `the request headers are larger than ${limit / 1024} KiB (${limit} bytes), the limit; send fewer or shorter headers`);
    }
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return outpostError('message_too_large', 'the chunk extensions of the request body are too large; send the body without them');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return outpostError('session_timeout', `the request did not arrive in full within ${Math.round(server.requestTimeout / 1000)} s; send it faster or in smaller parts`);
    default:
      return outpostError('invalid_request', `the request is not valid HTTP/1.1 (${error.code ?? error.message}); check the client`);
  }
}

/**
 * Node's 'clientError': answers in the JSON error shape, where Node's own answer
 * has an empty body, then closes the connection.
 */
function answerParserRefusal(server: http.Server, logger: Logger, error: NodeJS.ErrnoException, socket: Duplex): void {
  // Node's own handler writes nothing on a connection with a response already under way
  // (socket._httpMessage, lib/_http_server.js): bytes from here would corrupt it
  const inFlight = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage?.headersSent;
  if (error.code === 'ECONNRESET' || !socket.writable || inFlight) return void socket.destroy();
  const refusal = parserRefusal(error, server);
  logger.debug({ code: error.code, status: refusal.httpStatus }, 'http: request refused by the parser');
  const payload = JSON.stringify({ code: refusal.code, message: refusal.message });
  socket.end(
    [
      `HTTP/1.1 ${refusal.httpStatus} ${http.STATUS_CODES[refusal.httpStatus]}`,
      'Content-Type: application/json; charset=utf-8',
      `Content-Length: ${Buffer.byteLength(payload)}`,
      'Connection: close',
      '',
      payload,
    ].join('\r\n'),
  );
  setTimeout(() => socket.destroy(), REFUSAL_LINGER_MS).unref();
}

export class HttpFrontEnd implements FrontEnd {
  private constructor(private readonly server: http.Server | undefined) {}

  /** Binds OUTPOST_HTTP_HOST:OUTPOST_HTTP_PORT, or nothing when the port is off. */
  static async bind(config: OutpostConfig, logger: Logger): Promise<HttpFrontEnd> {
    if (config.httpPort === 'off') return new HttpFrontEnd(undefined);
    const server = http.createServer(notReadyYet);
    server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerParserRefusal(server, logger, error, socket));
    await listen(server, config.httpHost, config.httpPort, 'OUTPOST_HTTP_PORT');
    logger.debug({ address: server.address() }, 'http listener bound');
    return new HttpFrontEnd(server);
  }

  get listeners(): Record<string, http.Server | undefined> {
    return { http: this.server };
  }

  serve(intake: Intake): void {
    if (!this.server) return;
    this.server.off('request', notReadyYet);
    this.server.on('request', createHttpApp(intake).callback());
  }

  close(): Promise<void> {
    const server = this.server;
    if (!server) return Promise.resolve();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    return closed;
  }

  cut(): void {
    this.server?.closeAllConnections();
  }
}
