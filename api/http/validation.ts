/**
 * Request validation with zod: the same schemas validate requests and
 * describe them in the OpenAPI document. A failure is a 400 naming each field.
 */
import type { z } from 'zod';
import { outpostError } from '../../core/errors.js';

export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({ field: issue.path.join('.') || '(body)', problem: issue.message }));
  throw outpostError('invalid_request', `invalid request: ${details.map((detail) => `${detail.field}: ${detail.problem}`).join('; ')}`, { details: details });
}
