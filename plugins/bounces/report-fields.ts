/**
 * Reading the header-style fields and the addresses in a report: field groups
 * (a header block, a DSN's per-message and per-recipient groups), the addresses
 * a field or a line names, and the optional fields of a ReportedRecipient.
 * Both readers use them, parse-report.ts (DSN, ARF) and bounce-text.ts
 * (non-standard text bounces), so they live here and neither reader imports
 * the other. Like the readers, nothing here throws on hostile input.
 */

export interface Field {
  name: string;
  value: string;
}

/** Bounded by RFC 5321 4.5.3.1 (64-octet local part, 63-octet labels): unbounded, a long run without "@" costs quadratic time. */
const ADDRESS = /[^\s<>()[\]"',;:@]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}/i;

/** Header-style field groups separated by blank lines (a header block, a DSN's per-message and per-recipient groups), folded lines joined. */
export function fieldGroups(text: string): Field[][] {
  return text.split(/\r?\n[ \t]*\r?\n/).flatMap((block) => {
    // Folded lines are collected and joined once: growing and trimming one string per line is quadratic.
    const lines: { name: string; parts: string[] }[] = [];
    for (const line of block.split(/\r?\n/)) {
      const last = lines[lines.length - 1];
      if (/^[ \t]/.test(line) && last) last.parts.push(line.trim());
      else {
        const field = /^([!-9;-~]+)[ \t]*:[ \t]*(.*)$/.exec(line);
        if (field) lines.push({ name: field[1]!.toLowerCase(), parts: [field[2]!.trim()] });
      }
    }
    return lines.length > 0 ? [lines.map(({ name, parts }) => ({ name, value: parts.filter(Boolean).join(' ') }))] : [];
  });
}

/** Each field's values by lower-case name, in the order they came. */
export function fieldMap(fields: Field[]): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const field of fields) map.set(field.name, [...(map.get(field.name) ?? []), field.value]);
  return map;
}

/** "rfc822; x@y" and "dns; mx.example.org" without their type. */
export function withoutType(value: string | undefined): string | undefined {
  const bare = value?.replace(/^[\w.-]+\s*;\s*/, '').trim();
  return bare || undefined;
}

/** Every address in a field value or a line, cleaned as cleanAddress does; the ones it refuses are left out. */
export function allAddresses(value: string): string[] {
  return [...value.matchAll(new RegExp(ADDRESS.source, 'gi'))].flatMap((match) => cleanAddress(match[0]) ?? []);
}

/** Lower-cased and without brackets; not ours (a return path) and not a mailer daemon's. */
export function cleanAddress(candidate: string): string | undefined {
  const address = candidate.replace(/^[<'"]+|[>'".]+$/g, '').toLowerCase();
  if (!ADDRESS.test(address) || /^bounce\+/.test(address) || /^(mailer-daemon|postmaster)@/.test(address)) return undefined;
  return address;
}

/** { [key]: value } when there is a value, else nothing, so that a recipient or report never carries an empty field. */
export function optional<K extends string>(key: K, value: string | undefined): { [P in K]?: string } {
  return (value ? { [key]: value } : {}) as { [P in K]?: string };
}
