/**
 * Reading JSON request bodies with a size limit and a content-type check
 * (co-body), so malformed or oversized input is a 4xx, never a crash.
 */
import parse from 'co-body';
import type Koa from 'koa';
import { outpostError } from '../../core/errors.js';

export async function readJson(ctx: Koa.Context, limitBytes: number): Promise<unknown> {
  if (!ctx.is('application/json')) {
    throw outpostError('unsupported_media_type', `send the body as application/json (got ${ctx.get('content-type') || 'no content type'})`);
  }
  try {
    return await parse.json(ctx, { limit: limitBytes, strict: true });
  } catch (error) {
    const failure = error as { status?: number; type?: string };
    if (failure.status === 413) throw Object.assign(new Error('request body too large'), { status: 413, type: 'entity.too.large' });
    throw outpostError('invalid_request', 'request body is not valid JSON');
  }
}
