/**
 * Send options over SMTP: what POST /v1/mail/send takes as fields comes as
 * X-Outpost-* headers of the message (`X-Outpost-Tags: a, b`,
 * `X-Outpost-Test-Mode: true`, ...). takeOutpostHeaders reads them from the
 * top-level header block and removes every one, so none is signed or
 * delivered. A bad value, or an X-Outpost-* header Outpost does not know (a
 * typo would otherwise be silently ignored), refuses the message with
 * 550 5.6.0 naming the header.
 */
import type { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { outpostError } from '../../core/errors.js';
import type { DeliveryOptions } from '../../core/intake.js';

export interface HeaderOptions {
  options: DeliveryOptions;
  tags: string[];
}

/** Header (as written in replies) → option. */
const FLAG_HEADERS: Record<string, { header: string; flag: keyof DeliveryOptions }> = {
  'x-outpost-require-tls': { header: 'X-Outpost-Require-TLS', flag: 'requireTls' },
  'x-outpost-verify-cert': { header: 'X-Outpost-Verify-Cert', flag: 'verifyCert' },
  'x-outpost-test-mode': { header: 'X-Outpost-Test-Mode', flag: 'testMode' },
  'x-outpost-open-tracking': { header: 'X-Outpost-Open-Tracking', flag: 'openTracking' },
  'x-outpost-click-tracking': { header: 'X-Outpost-Click-Tracking', flag: 'clickTracking' },
  'x-outpost-text-click-tracking': { header: 'X-Outpost-Text-Click-Tracking', flag: 'textClickTracking' },
  'x-outpost-unsubscribe-tracking': { header: 'X-Outpost-Unsubscribe-Tracking', flag: 'unsubscribeTracking' },
};
const TAGS_HEADER = 'x-outpost-tags';
const KNOWN = ['X-Outpost-Tags', ...Object.values(FLAG_HEADERS).map(({ header }) => header)].join(', ');

/** The same bounds as the REST `tags` field (api/send/schema.ts). */
const MAX_TAGS = 20;
const MAX_TAG_LENGTH = 128;
const CONTROL_CHARACTER = /\p{Cc}/u;

/** Reads and removes every X-Outpost-* header; throws InvalidMessageError for a bad one. */
export function takeOutpostHeaders(headers: Headers): HeaderOptions {
  const found = new Set(headers.getList().map(({ key }) => key).filter((key) => key.startsWith('x-outpost-')));
  const result: HeaderOptions = { options: {}, tags: [] };
  for (const key of found) {
    const values = headers.get(key).map(headerValue);
    if (key === TAGS_HEADER) result.tags = parseTags(values);
    else if (FLAG_HEADERS[key]) setFlag(result, FLAG_HEADERS[key], values);
    else throw outpostError('message_invalid', `${canonicalName(key)} is not an Outpost option; the X-Outpost-* headers are ${KNOWN}`);
    headers.remove(key);
  }
  return result;
}

/** The unfolded, decoded value of one header line. */
function headerValue(line: string): string {
  const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
  return libmime.decodeWords(value);
}

function setFlag(result: HeaderOptions, { header, flag }: (typeof FLAG_HEADERS)[string], values: string[]): void {
  const parsed = new Set(values.map((value) => parseFlag(header, value)));
  if (parsed.size > 1) throw outpostError('message_invalid', `${header} is given more than once, with different values; give it once`);
  const [value] = parsed;
  result.options[flag] = value;
}

function parseFlag(header: string, value: string): boolean {
  if (/^(true|yes|1|on)$/i.test(value)) return true;
  if (/^(false|no|0|off)$/i.test(value)) return false;
  throw outpostError('message_invalid', `${header}: "${value.slice(0, 40)}" is not a boolean; write true or false`);
}

function parseTags(values: string[]): string[] {
  const tags = [...new Set(values.flatMap((value) => value.split(',')).map((tag) => tag.trim()).filter(Boolean))];
  for (const tag of tags) {
    if (tag.length > MAX_TAG_LENGTH) throw outpostError('message_invalid', `X-Outpost-Tags: "${tag.slice(0, 40)}..." is longer than ${MAX_TAG_LENGTH} characters`);
    if (CONTROL_CHARACTER.test(tag)) throw outpostError('message_invalid', 'X-Outpost-Tags: a tag contains control characters; remove them');
  }
  if (tags.length > MAX_TAGS) throw outpostError('message_invalid', `X-Outpost-Tags: ${tags.length} tags; at most ${MAX_TAGS}`);
  return tags;
}

/** `x-outpost-foo-bar` → `X-Outpost-Foo-Bar`, to name the header the way it is usually written. */
function canonicalName(key: string): string {
  return key.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase()).slice(0, 80);
}
