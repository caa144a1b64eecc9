/**
 * Envelope address syntax: what Outpost will put in MAIL FROM and RCPT TO.
 * Deliberately narrower than RFC 5321: no quoted local parts, no source
 * routes, no IP literals, no comments, so that every parser on the way
 * (ours, the destination's, a relay's) reads the same mailbox.
 */

import { outpostError } from './errors.js';

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~\u0080-\uFFFF-]+)*$/;
/** Controls (C0, C1), format characters (BOM, bidi), separators other than the plain space (NBSP, U+2028), lone surrogates. */
const INVISIBLE_OR_CONTROL = /[\p{Cc}\p{Cf}\p{Cs}]|(?! )\p{Z}/u;
const DOMAIN_LABEL = /^(?!-)[A-Za-z0-9\u0080-\uFFFF-]{1,63}(?<!-)$/;

/** Why `address` cannot be used in the envelope, or undefined when it can. */
export function envelopeAddressProblem(address: string): string | undefined {
  if (Buffer.byteLength(address) > 254) return `"${address.slice(0, 40)}..." is longer than 254 bytes`;
  if (INVISIBLE_OR_CONTROL.test(address)) return `"${address}" contains control, format or space characters`;
  const at = address.lastIndexOf('@');
  if (at < 1) return `"${address}" has no local part or no @`;
  const local = address.slice(0, at);
  const domain = address.slice(at + 1);
  if (Buffer.byteLength(local) > 64) return `the local part of "${address}" is longer than 64 bytes`;
  if (!LOCAL_PART.test(local)) {
    return `"${address}" has a local part Outpost does not send to (quoted strings, spaces, comments and routes are refused)`;
  }
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label)) || /^\d+$/.test(labels.at(-1)!)) {
    return `"${address}" does not end in a valid domain name (like example.com)`;
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
