/**
 * Reads the bounces that carry no RFC 3464 delivery status, only text for a
 * person: the layouts of qmail, Exim, Sendmail, Postfix without DSN, Exchange,
 * Domino, Courier, MDaemon, GroupWise, OpenSMTPD and the like. It tells whether
 * a message is such a bounce or only a delay warning, and which recipients it
 * names with the reply text next to each. It is its own module because these
 * layouts are a catalogue of MTA habits that grows on its own, apart from the
 * MIME and DSN reading in parse-report.ts. Like that reader, it never
 * classifies and never throws: the text is hostile input.
 */
import type { Headers } from '@zone-eu/mailsplit';
import libmime from 'libmime';
import { allAddresses, cleanAddress, optional } from './report-fields.js';

/** A recipient a text bounce names; parse-report.ts adds the action. */
export interface TextBounceRecipient {
  /** Lower-cased, without <>. */
  address: string;
  /** The reply text next to the address, e.g. "550 5.1.1 user unknown". */
  diagnosticCode?: string;
}

/** The first lines of non-standard bounces, by the MTA that writes them. */
const BOUNCE_OPENINGS = [
  /This is the qmail-send program/i,
  /could not be delivered to one or more of\s+its\s+recipients/i, // Exim, and 1&1 and Mail.ru, which run it
  /has not yet been delivered to one or more of\s+its\s+recipients/i, // Exim's delay warning
  /following addresses had permanent fatal errors/i, // Sendmail
  /Delivery has failed to these recipients or groups|Diagnostic information for administrators/i, // Exchange, Office 365
  /I'm sorry to have to inform you that your message could not\s+be delivered/i, // Postfix
  /Sorry, we were unable to deliver your message/i, // Yahoo, AOL
  /was not delivered to:/i, // Lotus Domino
  /Your message to the following recipients cannot be delivered/i, // Courier
  /had PERMANENT fatal delivery errors/i, // MDaemon
  /The message that you sent was undeliverable to the following/i, // GroupWise
  /An error has occurred while attempting to deliver a message for\s+the following list of recipients/i, // OpenSMTPD
  /Delivery to the following recipients? failed|could not be delivered to the following recipients?|Your message (wasn't|was not|could not be) delivered/i,
];
/** Subjects of bounces, for MTAs whose text is unknown; they count only when the sender is a mailer daemon. */
const BOUNCE_SUBJECT = /undeliver|undelivered|delivery (status notification|failure|failed|notification)|returned mail|failure notice|mail delivery failed|non-?delivery|nondeliverable|could not be delivered|delivery has failed|message not delivered|returned to sender/i;
const DAEMON_SENDER = /mailer-daemon|postmaster|mail delivery (system|subsystem)|mail administrator/i;
/** Warnings: the MTA is still trying. */
const DELAY_NOTICE = /This is a warning message only|will (continue|keep) trying|has not yet been delivered|could not send message for past|still trying|Delivery delayed|has been delayed/i;
/** Where a text bounce starts quoting the original message; nothing after it describes a recipient. */
const ORIGINAL_MARKER =
  /^.*?(?:Below this line is a copy of the message|This is a copy of the message, including all the headers|Original message headers:|Below is a copy of the original message|original message follows|The header of the original message is following)|^\s*-{2,}\s*(?:Original|Returned|Undelivered) (?:message|mail)\b|^(?:Return-Path|Received):/im;

/** Whether a message with these top-level headers and this human-readable text is a bounce in a known layout, or a mailer daemon's bounce by its subject. */
export function isTextBounce(headers: Headers | undefined, human: string): boolean {
  if (headers?.hasHeader('x-failed-recipients')) return true;
  if (BOUNCE_OPENINGS.some((opening) => opening.test(human))) return true;
  const from = headers ? libmime.decodeWords(headers.getFirst('from')) : '';
  const subject = headers ? libmime.decodeWords(headers.getFirst('subject')) : '';
  return DAEMON_SENDER.test(from) && BOUNCE_SUBJECT.test(subject);
}

/** Whether the text is a warning that the MTA is still trying, not a failure. */
export function isDelayNotice(human: string): boolean {
  return DELAY_NOTICE.test(human);
}

/** Recipients of a text bounce, each with the reply text next to it: per-address blocks, SMTP transcripts, X-Failed-Recipients, Domino's "because:". */
export function textBounceRecipients(human: string, headers: Headers | undefined): Map<string, TextBounceRecipient> {
  const found = new Map<string, TextBounceRecipient>();
  const note = (address: string, diagnosticCode: string | undefined): void => {
    const known = found.get(address);
    if (!known || (!hasReplyCode(known.diagnosticCode) && diagnosticCode && (hasReplyCode(diagnosticCode) || !known.diagnosticCode))) {
      found.set(address, { address, ...optional('diagnosticCode', diagnosticCode) });
    }
  };
  const lines = beforeMarker(human).split(/\r?\n/);
  for (let index = 0; index < lines.length; index++) {
    const line = recipientLine(lines[index]!);
    if (!line) continue;
    // The reply continues on the following lines, which Postfix indents and which may start with the address again.
    const block = [line.rest];
    const startsRecipient = (next: string): boolean => recipientLine(next) !== undefined && indentOf(next) <= indentOf(lines[index]!);
    while (index + 1 < lines.length && lines[index + 1]!.trim() !== '' && !startsRecipient(lines[index + 1]!)) block.push(lines[++index]!);
    note(line.address, replyIn(block.join(' ')));
  }
  for (const match of beforeMarker(human).matchAll(/RCPT TO:\s*<([^>\s]{1,320})>[^\n]*\n((?:[^\n]*\n?){1,4})/gi)) {
    const reply = /(?:<<<|<--|^)\s*([245]\d\d[ -][^\n]*)/m.exec(match[2]!)?.[1];
    const address = cleanAddress(match[1]!);
    if (address && reply && !reply.startsWith('2')) note(address, tidyReply(reply));
  }
  for (const address of (headers?.get('x-failed-recipients') ?? []).flatMap((value) => allAddresses(value))) note(address, undefined);
  const because = /because:[ \t]*\r?\n\s*(\S[^\n]*(?:\n[ \t]*\S[^\n]*)*)/i.exec(beforeMarker(human))?.[1];
  if (because) for (const recipient of found.values()) if (!recipient.diagnosticCode) recipient.diagnosticCode = tidyReply(because);
  return found;
}

/** The text from where a bounce starts quoting the original message; empty when it quotes none. */
export function afterMarker(text: string): string {
  const marker = ORIGINAL_MARKER.exec(text);
  return marker ? text.slice(marker.index) : '';
}

function beforeMarker(text: string): string {
  const marker = ORIGINAL_MARKER.exec(text);
  return marker ? text.slice(0, marker.index) : text;
}

/** A line that starts with an address: "<x@y>:", "x@y: 550 ...", "  x@y", "x@y (x@y)", "\tx@y (host not found)". */
function recipientLine(line: string): { address: string; rest: string } | undefined {
  const match = /^\s*<?([^\s<>()"',;:@]{1,64}@[^\s<>()"',;:@]{1,255}?)>?(?::\s*(.*)|\s+\((.*)\)\s*|\s*)$/.exec(line);
  const address = match ? cleanAddress(match[1]!) : undefined;
  if (!address) return undefined;
  const rest = match![2] ?? match![3] ?? '';
  // Exchange repeats the address in parentheses: "x@y (x@y)"; that is no reason.
  return { address, rest: /^<?[^\s<>]+@[^\s<>]+>?$/.test(rest.trim()) ? '' : rest };
}

/** The reply inside a bounce's text about one recipient, from its code on; else the text itself (Domino, GroupWise, qmail local errors). */
function replyIn(text: string): string | undefined {
  const flat = text.replace(/\s+/g, ' ').trim();
  const reply =
    /(?<![\w.])([245]\d\d[ -:]\s?[245]\.\d{1,3}\.\d{1,3}(?![\w.]).*)$/.exec(flat)?.[1] ??
    /(?:said|reason|<<<|<--|returned|\]):?\s*'?\s*([245]\d\d\b.*)$/i.exec(flat)?.[1] ??
    /^([245]\d\d[: -].*)$/.exec(flat)?.[1] ??
    flat;
  return reply ? tidyReply(reply) : undefined;
}

/** Without the words MTAs wrap around a quoted reply. */
function tidyReply(reply: string): string {
  return reply
    .replace(/\s+/g, ' ')
    .replace(/\s*\(in reply to [^)]*\)?.*$/i, '')
    .replace(/\s*(Giving up on|I'm not going to try again;?\s*$).*$/i, '')
    .replace(/'\s*$/, '')
    .replace(/\)\s*$/, (paren, _offset: number, whole: string) => (count(whole, '(') < count(whole, ')') ? '' : paren))
    .trim();
}

function count(text: string, character: string): number {
  return text.split(character).length - 1;
}

function indentOf(line: string): number {
  return /^\s*/.exec(line)![0].replace(/\t/g, '        ').length;
}

function hasReplyCode(text: string | undefined): boolean {
  return text !== undefined && /(?:^|\s)[245]\d\d[ -:]/.test(text);
}
