/**
 * How commands print: tables for people (cli-table3; no colour when the output
 * is not a terminal, so a pipe gets plain text), JSON for scripts (--json:
 * exactly the API's answer, one document on stdout), and errors on stderr
 * (with --json, as {"error": {code, status, message, details}}). Data goes to
 * stdout, everything else to stderr, so `--json | jq` always parses.
 */
import Table from 'cli-table3';
import { isOutpostApiError } from '../../api/client/index.js';
import { CliFailure } from './exit-codes.js';

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A table with a header row; cells are shown in full, never cut (values are meant to be copied). */
export function table(head: string[], rows: (string | number | null | undefined)[][]): string {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const rendered = new Table({ head, style: colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] } });
  for (const row of rows) rendered.push(row.map((cell) => (cell === null || cell === undefined ? '' : String(cell))));
  return rendered.toString();
}

/** A two-column table of field names and values. */
export function fieldTable(fields: [string, string | number | null | undefined][]): string {
  const colour = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
  const rendered = new Table({ style: colour ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] } });
  for (const [name, value] of fields) rendered.push({ [name]: value === null || value === undefined ? '' : String(value) });
  return rendered.toString();
}

export function printLine(text = ''): void {
  process.stdout.write(`${text}\n`);
}

/** A note for the person at the terminal (hints, next steps); on stderr so --json output stays clean. */
export function printNote(text: string): void {
  process.stderr.write(`${text}\n`);
}

/** Prints what went wrong and, where the CLI knows it, how to fix it. */
export function printError(error: unknown, json: boolean): void {
  if (json) {
    const fields = isOutpostApiError(error)
      ? { code: error.code, status: error.status, message: error.message, ...(error.details ? { details: error.details } : {}) }
      : { code: 'cli_error', status: 0, message: (error as Error)?.message ?? String(error) };
    process.stderr.write(`${JSON.stringify({ error: fields })}\n`);
    return;
  }
  if (error instanceof CliFailure) {
    process.stderr.write(`outpost: ${error.message}\n`);
    return;
  }
  if (isOutpostApiError(error)) {
    const status = error.status ? `${error.status} ` : '';
    process.stderr.write(`outpost: ${status}${error.code}: ${error.message}\n`);
    for (const detail of error.details ?? []) process.stderr.write(`  ${detail.field}: ${detail.problem}\n`);
    const hint = hintFor(error.code, error.status);
    if (hint) process.stderr.write(`  ${hint}\n`);
    return;
  }
  process.stderr.write(`outpost: unexpected failure (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
}

/** What the CLI adds to the server's message: which of its own settings to check. */
function hintFor(code: string, status: number): string | undefined {
  if (code === 'unauthorized') return 'check the key: --key, OUTPOST_API_KEY or "key" in the config file';
  if (code === 'forbidden') return 'admin commands need the admin key: --admin-key, OUTPOST_ADMIN_KEY or "admin_key" in the config file';
  if (code === 'network_error' || code === 'timeout') return 'check the URL (--url, OUTPOST_URL or "url" in the config file) and that Outpost is running';
  if (code === 'rate_limited') return 'wait as the server says, then run the command again';
  if (status >= 500) return 'the server failed: its log says why; try again later';
  return undefined;
}
