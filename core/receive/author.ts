/**
 * The author check of the validate stage, which no deployment can turn off:
 * a message names exactly one author as every reader will find it. DMARC
 * (RFC 7489 6.6.1) and mail clients take the author from the From field, so
 * there must be exactly one (RFC 5322 3.6), naming one mailbox, or several and
 * then one Sender (3.6.2), each read alike by every parser (core/address.ts).
 *
 * The header block is read as an RFC 5322 reader reads it: every line up to
 * the blank line is a field or a folded continuation of one, and a field's
 * name is what precedes its colon, WSP between the two allowed (the obsolete
 * syntax of 4.5.x that readers must accept: `From : x` is a From). mailauth's
 * parseHeaders, which DKIM signing uses too, splits the fields that way.
 * mailsplit, which holds the pipeline's headers, does not quite: it takes a
 * first line starting `From ` for an mbox separator (and `POST ` for an HTTP
 * request line), which would hide a From from every check after this one. So
 * a line that is no field is refused (readers disagree on what it is), and
 * so is a header block mailsplit splits differently.
 */
import { isUtf8 } from 'node:buffer';
import type { HeaderLine } from '@zone-eu/mailsplit';
import { parseHeaders } from 'mailauth/lib/tools.js';
import { parseMailboxList, type Mailbox } from '../address.js';
import { outpostError } from '../errors.js';

/** A field name (RFC 5322 3.6.8: printable US-ASCII but the colon), optional WSP, the colon. */
const FIELD_START = /^([\x21-\x39\x3b-\x7e]+)[ \t]*:/;

interface HeaderField {
  /** Lower-cased name. */
  name: string;
  /** The value, unfolded, without the name and colon. */
  value: string;
}

/** Throws message_invalid unless `headerBlock` has only proper fields, split as mailsplit split them into `pipelineLines`, with one author. */
export function requireOneAuthor(headerBlock: Buffer, pipelineLines: readonly HeaderLine[]): void {
  const fields = readFields(headerBlock);
  const from = fields.filter((field) => field.name === 'from');
  const sender = fields.filter((field) => field.name === 'sender');
  if (from.length !== 1) {
    const found = from.length === 0 ? 'no From field' : `${from.length} From fields (${from.map((field) => `"${preview(field.value)}"`).join(', ')})`;
    throw invalid(`the message has ${found}; give exactly one From header naming the author (RFC 5322 3.6)`);
  }
  if (sender.length > 1) throw invalid(`the message has ${sender.length} Sender fields; give at most one (RFC 5322 3.6)`);
  const authors = mailboxesOf('From', from[0]!.value);
  if (sender.length === 1) {
    const senders = mailboxesOf('Sender', sender[0]!.value);
    if (senders.length !== 1) throw invalid(`the Sender header names ${senders.length} mailboxes; give exactly one, the one who sent the message (RFC 5322 3.6.2)`);
  } else if (authors.length > 1) {
    throw invalid(`the From header names ${authors.length} mailboxes and there is no Sender header; add a Sender naming the one who sent it, or give one From mailbox (RFC 5322 3.6.2)`);
  }
  const pipelineNames = pipelineLines.map((line) => line.key);
  const differs = fields.findIndex((field, index) => field.name !== pipelineNames[index]);
  if (differs !== -1 || pipelineNames.length !== fields.length) {
    const at = differs === -1 ? fields.length : differs;
    throw invalid(`header field ${at + 1} is read differently by mail parsers; start every header line with its name and a colon (Name: value), and no line with "From " or "POST "`);
  }
}

/** The fields of a header block, each checked to be one. */
function readFields(headerBlock: Buffer): HeaderField[] {
  let lineNumber = 1;
  return parseHeaders(headerBlock).parsed.map(({ line }) => {
    const text = line.toString('utf8');
    const start = FIELD_START.exec(text);
    if (!start) throw invalid(`header line ${lineNumber} ("${preview(text)}") is not a header field; start every header line with its name and a colon (Name: value), or indent it to continue the one before`);
    const name = start[1]!.toLowerCase();
    // a byte that is not UTF-8 would read as one address here and as another to a Latin-1 reader
    if ((name === 'from' || name === 'sender') && !isUtf8(line)) {
      throw invalid(`the ${start[1]} header holds bytes that are not UTF-8; write non-ASCII names as RFC 2047 encoded words, or in UTF-8`);
    }
    lineNumber += text.split('\n').length;
    return { name, value: text.slice(start[0].length).replace(/\r?\n(?=[ \t])/g, '') };
  });
}

function mailboxesOf(field: 'From' | 'Sender', value: string): Mailbox[] {
  const read = parseMailboxList(value);
  if (read.problem !== undefined) throw invalid(`${field}: ${read.problem}`);
  return read.mailboxes;
}

function preview(text: string): string {
  const line = text.replace(/\r?\n[ \t]*/g, ' ').trim();
  return line.length > 60 ? `${line.slice(0, 60)}...` : line;
}

function invalid(message: string) {
  return outpostError('message_invalid', message);
}
