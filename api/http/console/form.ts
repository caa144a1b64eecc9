/**
 * The console's form posts (application/x-www-form-urlencoded, read with
 * co-body under a small size limit) and their fields as plain strings.
 */
import parse from 'co-body';
import type Koa from 'koa';
import { outpostError } from '../../../core/errors.js';

/** Field name → its values, in the order sent. */
export type FormFields = ReadonlyMap<string, readonly string[]>;

const FORM_LIMIT = '64kb';

export async function readForm(ctx: Koa.Context): Promise<FormFields> {
  if (!ctx.is('application/x-www-form-urlencoded')) {
    throw outpostError('unsupported_media_type', 'the console takes its forms as application/x-www-form-urlencoded');
  }
  // returnRawBody: the text is parsed here with URLSearchParams, so a field is never turned into an object (qs would)
  const { raw } = (await parse.form(ctx, { limit: FORM_LIMIT, returnRawBody: true })) as { raw: string };
  const fields = new Map<string, string[]>();
  for (const [name, value] of new URLSearchParams(raw)) fields.set(name, [...(fields.get(name) ?? []), value]);
  return fields;
}

/** The first value of `name`, trimmed; '' when absent. */
export function fieldOf(form: FormFields, name: string): string {
  return (form.get(name)?.[0] ?? '').trim();
}
