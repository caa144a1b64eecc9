/**
 * Address syntax, one rule for every front end: what Outpost will put in MAIL
 * FROM and RCPT TO, and how the mailboxes of a From or Sender header are read.
 * Deliberately narrower than RFC 5321 and 5322: no quoted local parts, no
 * source routes, no IP literals, no comments inside an address, no relay forms
 * (x%y@z, y!x@z), and a header value must read the same to a strict RFC 5322
 * parser (email-addresses) as to the lenient one DKIM and DMARC code uses
 * (nodemailer's addressparser, also mailauth's), so that every parser on the
 * way (ours, the destination's, a relay's, a DMARC verifier's) reads the same
 * mailbox. REST's fields and SMTP's headers are checked by these functions
 * alone, so both refuse the same addresses with the same reason.
 */
import parseRfc5322 from 'email-addresses';
import addressparser from 'nodemailer/lib/addressparser';
import { outpostError } from './errors.js';

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/;
/** Controls (C0, C1), format characters (BOM, bidi), separators other than the plain space (NBSP, U+2028), lone surrogates. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}]|(?! )\p{Z}/u;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9\u0080-\uFFFF-]{1,63}(?<!-)$/;

/** Why `address` cannot be used in the envelope or as a header mailbox, or undefined when it can. */
export function envelopeAddressProblem(address: string): string | undefined {
  if (Buffer.byteLength(address) > 254) return `"${address.slice(0, 40)}..." is longer than 254 bytes`;
  if (INVISIBLE_OR_CONTROL.test(address)) return `"${address}" contains control, format or space characters`;
  const at = address.lastIndexOf('@');
  if (at < 1) return `"${address}" has no local part or no @`;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (Buffer.byteLength(local) > 64) return `the local part of "${address}" is longer than 64 bytes`;
  if (!LOCAL_PART.test(local)) {
    return `"${address}" has a local part Outpost does not accept (quoted strings, a second @, backslashes, spaces, comments and routes are refused)`;
  }
  const form = relayFormOf(address);
  if (form) return `"${address}" is in ${form}, which Outpost does not accept; give a plain user@domain`;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) {
    return `"${address}" does not end in a valid domain name (like example.com)`;
  }
  return undefined;
}

/**
 * The relay form an address or envelope path (what is between < and >) uses, as a
 * phrase for a reply; undefined for a plain address. Each of these asks a server on
 * the way to pass the mail on to another host, and servers differ on whether they do.
 */
export function relayFormOf(path: string): string | undefined {
  if (path.startsWith('@')) return 'a source route (@host:user@domain)';
  const at = path.lastIndexOf('@');
  const local = at === -1 ? path : path.slice(0, at);
  if (local.includes('"')) return 'a quoted local part ("user@host"@domain)';
  if (local.includes('!')) return 'a bang path (host!user)';
  if (local.includes('%')) return 'the percent hack (user%host@domain)';
  return undefined;
}

/** One mailbox of an address header: the display name (as written, encoded words left as they are) and the address. */
export interface Mailbox {
  name: string;
  address: string;
}

/** The mailboxes of a header value, or why it is refused. */
export type MailboxList = { mailboxes: Mailbox[]; problem?: undefined } | { problem: string; mailboxes?: undefined };

/**
 * One mailbox in the plainest form, `user@domain` or `Name <user@domain>` with ASCII letters,
 * digits and a few marks only: nothing in it any reader could take two ways, so the strict
 * parser's cross-check (a PEG parser, about 0.05 ms a value, most of all mail's From) is skipped.
 */
export const PLAIN_MAILBOX = /^[ \t]*(?:[A-Za-z0-9][A-Za-z0-9 '-]{0,62}<[\w+-]+(?:\.[\w+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*>|[\w+-]+(?:\.[\w+-]+)*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*)[ \t]*$/;

/**
 * Reads a From or Sender value (unfolded or not; without the field name) as a list of
 * mailboxes: every address must pass envelopeAddressProblem, the value must be an RFC 5322
 * mailbox-list (obsolete syntax included, UTF-8 allowed as RFC 6532 does; no groups), and
 * the strict and the lenient parser must find the same addresses in it.
 */
export function parseMailboxList(value: string): MailboxList {
  const lenient: Mailbox[] = [];
  for (const entry of addressparser(value)) {
    if ('group' in entry && entry.group) return { problem: `"${value.trim()}" is a group; give mailboxes (name <user@domain>)` };
    if (!('address' in entry) || !entry.address) return { problem: `"${value.trim()}" names no address; give one like user@example.com` };
    const problem = envelopeAddressProblem(entry.address);
    if (problem) return { problem };
    lenient.push({ name: entry.name, address: entry.address });
  }
  if (lenient.length === 0) return { problem: 'the value names no address; give one like user@example.com' };
  if (PLAIN_MAILBOX.test(value)) return { mailboxes: lenient };
  const strict = parseRfc5322({ input: value, startAt: 'mailbox-list', rfc6532: true });
  if (!strict) return { problem: `"${value.trim()}" is not a list of mailboxes RFC 5322 can read; write name <user@domain>, or quote a name with special characters ("a, b" <user@domain>)` };
  const strictAddresses = strict.addresses.map((mailbox) => ('address' in mailbox ? mailbox.address : ''));
  if (strictAddresses.join('\n') !== lenient.map((mailbox) => mailbox.address).join('\n')) {
    return { problem: `"${value.trim()}" is read differently by mail parsers; write name <user@domain>` };
  }
  return { mailboxes: lenient };
}

/**
 * Why `value` is not a bare address (`user@domain`, no name, no list) that every parser
 * reads alike, or undefined when it is one: what a REST field holding one address takes.
 */
export function bareAddressProblem(value: string): string | undefined {
  const problem = envelopeAddressProblem(value);
  if (problem) return problem;
  const read = parseMailboxList(value);
  if (read.problem !== undefined) return read.problem;
  if (read.mailboxes.length !== 1 || read.mailboxes[0]!.address !== value || read.mailboxes[0]!.name !== '') {
    return `"${value}" is read differently by mail parsers; give a bare address like user@example.com`;
  }
  return undefined;
}

/** Lower-cased domain of an address; throws for an address without one. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1 || at === address.length - 1) {
    throw outpostError('message_invalid', `"${address}" is not an email address (expected local@domain)`);
  }
  return address.slice(at + 1).toLowerCase();
}
