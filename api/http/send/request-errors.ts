/**
 * Turns what is wrong with a send request into the error the client gets: an
 * attachment given as a path → attachment_path_refused, a line break in a
 * header-bound value → header_injection, anything else → invalid_request with
 * one detail per field (an unknown field is named, not reported as "(body)").
 */
import type { z } from 'zod';
import { outpostError, OutpostError } from '../../../core/errors.js';
import { HEADER_INJECTION } from './schema.js';

interface FieldProblem {
  field: string;
  problem: string;
}

const PATH_REFUSED =
  'the server never reads files named by a client; upload the file: in JSON as {"filename", "content" (base64), "content_type"}, or as a multipart/form-data file part named attachments';

/** Refuses the seed's "full path" attachments (a string, or an object with a path) before anything else. */
export function refuseAttachmentPaths(body: unknown): void {
  const attachments = (body as { attachments?: unknown } | null)?.attachments;
  if (!Array.isArray(attachments)) return;
  attachments.forEach((attachment: unknown, index) => {
    if (typeof attachment === 'string' || (typeof attachment === 'object' && attachment !== null && 'path' in attachment)) {
      throw attachmentPathRefused(`attachments.${index}`);
    }
  });
}

export function attachmentPathRefused(field: string): OutpostError {
  return outpostError('attachment_path_refused', `${field}: ${PATH_REFUSED}`);
}

/** The parsed value, or the error for the first kind of problem found (header injection first). */
export function parseSendBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const injections: FieldProblem[] = [];
  const problems: FieldProblem[] = [];
  for (const issue of result.error.issues) {
    const field = issue.path.join('.');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.push({ field: field ? `${field}.${key}` : key, problem: 'unknown field; the fields of POST /v1/mail/send are listed in /v1/openapi.json' });
    } else if (issue.code === 'custom' && issue.params?.outpost === HEADER_INJECTION) {
      injections.push({ field, problem: issue.message });
    } else {
      problems.push({ field: field || '(body)', problem: issue.message });
    }
  }
  if (injections.length > 0) throw outpostError('header_injection', describe(injections));
  throw outpostError('invalid_request', `invalid request: ${describe(problems)}`, { details: problems });
}

function describe(problems: FieldProblem[]): string {
  return problems.map(({ field, problem }) => `${field}: ${problem}`).join('; ');
}
