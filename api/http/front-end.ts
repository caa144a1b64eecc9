/**
 * The HTTP listener as a front end: bound early in the start (a busy port fails
 * it with the one-line error naming OUTPOST_HTTP_PORT), answering 503 until the
 * core is ready, then serving the Koa app over the Intake. On stop it takes no
 * new connections and closes idle ones; requests in flight finish (the pipeline
 * refuses new messages meanwhile) until cut() once deliveries have stopped.
 */
import http from 'node:http';
import type { Logger } from 'pino';
import type { OutpostConfig } from '../../config/index.js';
import type { FrontEnd, Intake } from '../../core/intake.js';
import { listen } from '../../core/listen.js';
import { createHttpApp } from './app.js';

/** Answers requests that come before the core is ready. */
function notReadyYet(_request: http.IncomingMessage, response: http.ServerResponse): void {
  response.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
  response.end(JSON.stringify({ code: 'shutting_down', message: 'Outpost is starting; retry in a moment' }));
}

export class HttpFrontEnd implements FrontEnd {
  private constructor(private readonly server: http.Server | undefined) {}

  /** Binds OUTPOST_HTTP_HOST:OUTPOST_HTTP_PORT, or nothing when the port is off. */
  static async bind(config: OutpostConfig, logger: Logger): Promise<HttpFrontEnd> {
    if (config.httpPort === 'off') return new HttpFrontEnd(undefined);
    const server = http.createServer(notReadyYet);
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
