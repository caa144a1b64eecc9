/**
 * Turns every failure into the SPEC's JSON error shape
 * `{code, message, details?}` with the status from the error registry. Bad input
 * never becomes a 500 or a stack trace; a real bug answers 500 `internal_error`
 * with a request id to find the logged stack.
 */
import { randomUUID } from 'node:crypto';
import type Koa from 'koa';
import type { Logger } from 'pino';
import { isOutpostError } from '../../core/errors.js';

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
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { code: 'not_found', message: `no route for ${ctx.method} ${ctx.path}; see /v1/openapi.json` };
      }
    } catch (caught) {
      const error = caught as Error & { status?: number; expose?: boolean; type?: string };
      if (isOutpostError(error)) {
        ctx.status = error.httpStatus;
        ctx.body = { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) };
        if (error.retryAfterSeconds !== undefined) ctx.set('Retry-After', String(error.retryAfterSeconds));
        return;
      }
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
  };
}

function describeClientError(error: Error & { status?: number; type?: string }): string {
  if (error.type === 'entity.too.large') return 'request body too large; see the size limits in the README';
  if (error.type === 'entity.parse.failed' || error instanceof SyntaxError) return 'request body is not valid JSON';
  return error.message.replace(/[\r\n]+/g, ' ');
}
