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

/**
 * A query string checked against a strict schema: a parameter given twice, an
 * unknown one (a typo must never silently widen a search) or a bad value is a
 * 400 naming each.
 */
export function parseQuery<T>(schema: z.ZodType<T>, rawQuery: Record<string, string | string[] | undefined>, known: readonly string[]): T {
  const repeated = Object.keys(rawQuery).filter((name) => Array.isArray(rawQuery[name]));
  const result = schema.safeParse(rawQuery);
  if (repeated.length === 0 && result.success) return result.data;
  const details = [
    ...repeated.map((name) => ({ field: name, problem: 'given more than once; give it once' })),
    ...(result.error?.issues ?? []).flatMap((issue) =>
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => ({ field: key, problem: `unknown query parameter; known: ${known.join(', ')}` }))
        : repeated.includes(String(issue.path[0])) ? [] : [{ field: issue.path.join('.'), problem: issue.message }],
    ),
  ];
  throw outpostError('invalid_request', `invalid query: ${details.map((detail) => `${detail.field}: ${detail.problem}`).join('; ')}`, { details });
}
