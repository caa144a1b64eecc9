/**
 * Turns every failure into the SPEC's JSON error shape
 * `{code, message, details?}` with the status from the error registry. Bad input
 * never becomes a 500 or a stack trace; a real bug answers 500 `internal_error`
 * with a request id to find the logged stack. What the router leaves unanswered
 * gets the same shape: no route (404), a method the path does not take (405,
 * with the router's Allow) or one Outpost never implements (501).
 * An error found while the client is still sending its body (a refused
 * upload) is written at once, whole, so a client that reads as it writes can
 * stop early; but the response ends, and a `Connection: close` closes, only
 * once the rest of the body is in, read and dropped, up to a bound: closing a
 * socket with unread data resets it, which throws the answer away at a client
 * that reads only once its body is sent.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { isOutpostError, outpostError, type OutpostError } from '../../core/errors.js';

/** The rest of a refused request body read and dropped, at most, before the connection is cut. */
const UNREAD_BODY_LIMIT_BYTES = 16 * 1024 * 1024;
/** How long the rest of a refused request body may take to arrive, at most, before the connection is cut. */
const UNREAD_BODY_TIMEOUT_MS = 30_000;

/** Codes for errors raised by Koa and its body parsers (they carry `status`). */
const HTTP_ERROR_CODES: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

export function errorMiddleware(logger: Logger): Koa.Middleware {
  return async (ctx, next) => {
    try {
      await next();
      const unrouted = ctx.body === undefined ? unroutedRequest(ctx) : undefined;
      if (!unrouted) return;
      answerWithError(ctx, unrouted);
    } catch (caught) {
      answerWithFailure(ctx, caught, logger);
    }
    if (!ctx.req.complete) answerBeforeBodyEnds(ctx);
  };
}

/** The error for a request the router left without an answer, or undefined when it was answered. */
function unroutedRequest(ctx: Koa.Context): OutpostError | undefined {
  switch (ctx.status) {
    case 404:
      return outpostError('not_found', `no route for ${ctx.method} ${ctx.path}; see /v1/openapi.json`);
    case 405:
      return outpostError('method_not_allowed', `${ctx.method} is not allowed on ${ctx.path}; it takes ${ctx.response.get('Allow')}`);
    case 501:
      // the router sets an empty Allow on a path it does not know, which would say "no method at all"
      if (!ctx.response.get('Allow')) ctx.remove('Allow');
      return outpostError('not_implemented', `Outpost does not implement the ${ctx.method} method; the API uses GET, POST, PUT, PATCH and DELETE (see /v1/openapi.json)`);
    default:
      return undefined;
  }
}

function answerWithError(ctx: Koa.Context, error: OutpostError): void {
  ctx.status = error.httpStatus;
  ctx.body = { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
  if (error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
}

function answerWithFailure(ctx: Koa.Context, caught: unknown, logger: Logger): void {
  const error = caught as Error & { status?: number; expose?: boolean; type?: string };
  if (isOutpostError(error)) return answerWithError(ctx, error);
  if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    ctx.status = error.status;
    ctx.body = { code: HTTP_ERROR_CODES[error.status] ?? 'invalid_request', message: describeClientError(error) };
    return;
  }
  const requestId = randomUUID();
  logger.error({ err: error, requestId, method: ctx.method, path: ctx.path }, 'request failed');
  ctx.status = 500;
  ctx.body = { code: 'internal_error', message: `internal error; quote request id ${requestId} when reporting it` };
}

/** Writes the error answer now and ends the response once the rest of the body is in; past the bound, destroys the socket. */
function answerBeforeBodyEnds(ctx: Koa.Context): void {
  ctx.respond = false;
  const payload = JSON.stringify(ctx.body);
  const response = ctx.res;
  response.statusCode = ctx.status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(payload));
  response.write(payload);
  // a client reading as it writes has had the whole answer long before the bound
  void dropRestOfBody(ctx.req).then((whole) => (whole ? response.end() : ctx.req.socket.destroy()));
}

/**
 * Reads and drops what is left of a request body. Resolves true once it is all
 * in, false past UNREAD_BODY_LIMIT_BYTES or UNREAD_BODY_TIMEOUT_MS (reading then
 * stops) or when the client went away.
 */
function dropRestOfBody(request: IncomingMessage): Promise<boolean> {
  return new Promise((resolve) => {
    let bytesLeft = UNREAD_BODY_LIMIT_BYTES;
    const finish = (whole: boolean): void => {
      clearTimeout(timer);
      request.off('data', count).off('end', ended).off('close', closed);
      if (!whole) request.pause();
      resolve(whole);
    };
    const count = (chunk: Buffer): void => {
      bytesLeft -= chunk.length;
      if (bytesLeft < 0) finish(false);
    };
    const ended = (): void => finish(true);
    const closed = (): void => finish(request.complete);
    const timer = setTimeout(() => finish(false), UNREAD_BODY_TIMEOUT_MS).unref();
    request.on('data', count).once('end', ended).once('close', closed);
    request.resume();
  });
}

function describeClientError(error: Error & { status?: number; type?: string }): string {
  if (error.type === 'entity.too.large') return 'request body too large; see the size limits in the README';
  if (error.type === 'entity.parse.failed' || error instanceof SyntaxError) return 'request body is not valid JSON';
  return error.message.replace(/[\r\n]+/g, ' ');
}
