/**
 * Reads what comes back to the inbound MX: a delivery status notification
 * (RFC 3464), an abuse complaint (RFC 5965 ARF), a bounce in one of the
 * non-standard text layouts MTAs still send (qmail, Exim, Sendmail, Postfix
 * without DSN, Exchange, Domino, Courier, MDaemon, GroupWise, OpenSMTPD...),
 * an auto-reply, or anything else. It only describes: which recipients, with
 * which reply text, and which Outpost return-path tokens the report carries.
 * It never classifies (the plugin asks the one classifier through the plugin
 * API), never verifies a token, and never throws: a report is hostile input,
 * so garbage, truncated MIME and absurd sizes give 'other' or what could be read.
 * This file walks the MIME parts and reads ARF and DSN; the non-standard text
 * layouts are read by bounce-text.ts, and the field and address helpers both
 * use live in report-fields.ts.
 *
 *   raw ─► MIME parts (mailsplit; attached messages stay leaves) ─► ARF? DSN? bounce text? auto-reply? ─► ParsedReport
 */
import { Splitter, type Headers, type SplitterChunk } from '@zone-eu/mailsplit';
import iconv from 'iconv-lite';
import libmime from 'libmime';
import { afterMarker, isDelayNotice, isTextBounce, textBounceRecipients } from './bounce-text.js';
import { allAddresses, fieldGroups, fieldMap, optional, withoutType, type Field } from './report-fields.js';

export interface ReportedRecipient {
  /** Lower-cased, without <>: the Original-Recipient when the DSN gives it (the address as Outpost sent it), else the Final-Recipient. */
  address: string;
  action?: 'failed' | 'delayed' | 'delivered' | 'relayed' | 'expanded';
  /** Enhanced status x.y.z. */
  status?: string;
  smtpCode?: number;
  /** E.g. "smtp; 550 5.1.1 user unknown", the non-standard bounce's reply text, or an ARF report's "Feedback-Type: abuse" line. */
  diagnosticCode?: string;
  remoteMta?: string;
}

export interface ParsedReport {
  kind: 'dsn' | 'arf' | 'bounce' | 'autoreply' | 'other';
  /** At most `maxRecipients` (default 100); `truncated` says if more were dropped. */
  recipients: ReportedRecipient[];
  truncated: boolean;
  reportingMta?: string;
  arrivalDate?: string;
  /** ARF: abuse, fraud, virus, other, not-spam... */
  feedbackType?: string;
  /** Every Outpost return-path token found in the report, including the attached original message's headers: the local part after "bounce+" of addresses @bounce.<domain>. */
  tokens: string[];
  /** Message-ID of the original message, when the report quotes it. */
  originalMessageId?: string;
}

const DEFAULT_MAX_RECIPIENTS = 100;
/** Decoded bytes kept per MIME part: reports are small, and a 1,000-recipient DSN is about 150 kB. */
const MAX_PART_BYTES = 1024 * 1024;
/** MIME parts read at most; a report has three. */
const MAX_PARTS = 200;
/** Header bytes per part at most (mailsplit's limit is for whole messages). */
const MAX_HEAD_BYTES = 256 * 1024;

/** A return-path address: bounce+<token>@bounce.<domain>. */
const TOKEN_ADDRESS = /bounce\+([0-9a-z][0-9a-z._-]*)@bounce\.[a-z0-9-]+(?:\.[a-z0-9-]+)+/gi;
const STATUS = /(?<![\d.])[245]\.\d{1,3}\.\d{1,3}(?![\d.])/;
const DSN_ACTIONS = new Set(['failed', 'delayed', 'delivered', 'relayed', 'expanded']);
const ORIGINAL_TYPES = new Set(['message/rfc822', 'text/rfc822-headers', 'message/rfc822-headers', 'message/global', 'message/global-headers']);
const STATUS_TYPES = new Set(['message/delivery-status', 'message/global-delivery-status']);

const AUTOREPLY_SUBJECT =
  /^\s*(?:(?:re|aw|fwd?):\s*)*(out of (the )?office|automatic reply|auto[- ]?(reply|response)|autoreply|vacation|on leave|abwesenheit|automatische antwort|réponse automatique|respuesta automática|risposta automatica|absence)/i;

interface MimePart {
  /** Lower-case; text/plain when the part gives none (RFC 2045 5.2). */
  contentType: string;
  params: Record<string, string>;
  headers: Headers | undefined;
  multipart: boolean;
  /** The decoded text of a leaf; a multipart part's preamble, boundaries and epilogue. */
  text: string;
}

export async function parseReport(raw: Buffer, options: { maxRecipients?: number } = {}): Promise<ParsedReport> {
  const maxRecipients = options.maxRecipients ?? DEFAULT_MAX_RECIPIENTS;
  try {
    return describe(await readParts(raw), maxRecipients);
  } catch {
    // Only a bug can land here; a report must never take the MX listener down with it.
    return { kind: 'other', recipients: [], truncated: false, tokens: [] };
  }
}

async function readParts(raw: Buffer): Promise<MimePart[]> {
  const collected = new Map<object, { node: Extract<SplitterChunk, { type: 'node' }>; chunks: Buffer[]; bytes: number }>();
  const splitter = new Splitter({ ignoreEmbedded: true, maxChildNodes: MAX_PARTS, maxHeadSize: MAX_HEAD_BYTES });
  splitter.end(raw);
  try {
    for await (const chunk of splitter as AsyncIterable<SplitterChunk>) {
      if (chunk.type === 'node') {
        collected.set(chunk, { node: chunk, chunks: [], bytes: 0 });
        continue;
      }
      const entry = collected.get(chunk.node);
      if (!entry || entry.bytes >= MAX_PART_BYTES) continue;
      entry.chunks.push(chunk.value);
      entry.bytes += chunk.value.length;
    }
  } catch {
    // A broken structure ends the walk; the parts read so far still count.
  }
  return [...collected.values()].map(({ node, chunks }) => {
    const headers = node.headers || undefined;
    const body = Buffer.concat(chunks);
    return {
      contentType: (node.contentType || 'text/plain').toLowerCase(),
      params: headers ? lowerCaseKeys(libmime.parseHeaderValue(headers.getFirst('content-type')).params) : {},
      headers,
      multipart: Boolean(node.multipart),
      text: node.multipart ? body.toString('latin1') : decodeText(body, node.encoding || '', node.charset || ''),
    };
  });
}

function describe(parts: MimePart[], maxRecipients: number): ParsedReport {
  const root = parts[0];
  const tokens = collectTokens(parts);
  const noRecipients = { recipients: [], truncated: false, tokens };
  if (!root) return { kind: 'other', ...noRecipients };
  const report = parts.find((part) => part.contentType === 'multipart/report');
  const reportType = (report?.params['report-type'] ?? '').toLowerCase();
  const original = parts.find((part) => ORIGINAL_TYPES.has(part.contentType));
  const originalHeaders = original ? fieldMap(fieldGroups(original.text)[0] ?? []) : undefined;
  const human = humanText(parts);
  const originalMessageId = firstAngle(originalHeaders?.get('message-id')?.[0]) ?? firstAngle(/^Message-ID:\s*(<[^>\s]+>)/im.exec(afterMarker(human))?.[1]);
  const quoted = originalMessageId ? { originalMessageId } : {};

  // Some reporters label the feedback part text/plain.
  const feedback =
    parts.find((part) => part.contentType === 'message/feedback-report') ??
    (reportType === 'feedback-report' ? parts.find((part) => part.contentType === 'text/plain' && /^Feedback-Type\s*:/im.test(part.text)) : undefined);
  if (reportType === 'feedback-report' || feedback) {
    const fields = fieldMap((feedback ? fieldGroups(feedback.text) : []).flat());
    const feedbackType = fields.get('feedback-type')?.[0]?.toLowerCase();
    const named = fields.get('original-rcpt-to') ?? originalHeaders?.get('x-hmxmroriginalrecipient') ?? originalHeaders?.get('to') ?? [];
    const addresses = unique(named.flatMap((value) => allAddresses(value)));
    const recipients = addresses.map((address) => ({ address, ...(feedbackType ? { diagnosticCode: `Feedback-Type: ${feedbackType}` } : {}) }));
    return {
      kind: 'arf',
      ...capped(recipients, maxRecipients),
      tokens,
      ...optional('reportingMta', withoutType(fields.get('reporting-mta')?.[0])),
      ...optional('arrivalDate', fields.get('arrival-date')?.[0] ?? fields.get('received-date')?.[0]),
      ...optional('feedbackType', feedbackType),
      ...quoted,
    };
  }

  const statusPart = parts.find((part) => STATUS_TYPES.has(part.contentType)) ?? parts.find((part) => part.contentType === 'text/plain' && looksLikeDeliveryStatus(part.text));
  if (statusPart) {
    const dsn = readDeliveryStatus(statusPart.text);
    if (dsn.recipients.length > 0) {
      const fromText = textBounceRecipients(human, root.headers);
      const recipients = dsn.recipients.map((recipient) => {
        const described = fromText.get(recipient.address)?.diagnosticCode;
        return recipient.diagnosticCode || !described ? recipient : { ...recipient, diagnosticCode: described };
      });
      return { kind: 'dsn', ...capped(recipients, maxRecipients), tokens, ...dsn.perMessage, ...quoted };
    }
  }
  if (reportType && reportType !== 'delivery-status') return { kind: 'other', ...noRecipients, ...quoted };

  if (reportType === 'delivery-status' || isTextBounce(root.headers, human)) {
    const action: ReportedRecipient['action'] = isDelayNotice(human) ? 'delayed' : 'failed';
    const recipients = [...textBounceRecipients(human, root.headers).values()].map((recipient) => ({ ...recipient, action }));
    return { kind: 'bounce', ...capped(recipients, maxRecipients), tokens, ...quoted };
  }
  if (isAutoReply(root.headers)) return { kind: 'autoreply', ...noRecipients, ...quoted };
  return { kind: 'other', ...noRecipients, ...quoted };
}

function readDeliveryStatus(text: string): { recipients: ReportedRecipient[]; perMessage: { reportingMta?: string; arrivalDate?: string } } {
  const messageFields: Field[] = [];
  const groups: Field[][] = [];
  for (const group of fieldGroups(text)) {
    if (!group.some(isRecipientField)) {
      messageFields.push(...group);
      continue;
    }
    // Recipients are separated by blank lines (RFC 3464 2.1); where one is missing, a recipient field seen twice starts the next
    // recipient. Field order inside a group is free (Amazon SES writes Action first).
    let current: Field[] = [];
    groups.push(current);
    for (const field of group) {
      if (isRecipientField(field) && current.some((earlier) => earlier.name === field.name)) groups.push((current = []));
      current.push(field);
    }
  }
  const message = fieldMap(messageFields);
  const recipients: ReportedRecipient[] = [];
  const seen = new Set<string>();
  for (const group of groups) {
    const fields = fieldMap(group);
    const address = allAddresses(withoutType(fields.get('original-recipient')?.[0]) ?? '')[0] ?? allAddresses(withoutType(fields.get('final-recipient')?.[0]) ?? '')[0];
    if (!address || seen.has(address)) continue;
    seen.add(address);
    const action = fields.get('action')?.[0]?.trim().toLowerCase().split(/\s/)[0] ?? '';
    const status = STATUS.exec(fields.get('status')?.[0] ?? '')?.[0];
    const diagnosticCode = fields.get('diagnostic-code')?.[0];
    const smtpCode = /^\s*(?:[\w.-]+\s*;)?\s*#?\s*([245]\d\d)(?![\d.])/.exec(diagnosticCode ?? '')?.[1];
    recipients.push({
      address,
      ...(DSN_ACTIONS.has(action) ? { action: action as ReportedRecipient['action'] } : {}),
      ...optional('status', status),
      ...(smtpCode ? { smtpCode: Number(smtpCode) } : {}),
      ...optional('diagnosticCode', diagnosticCode),
      ...optional('remoteMta', withoutType(fields.get('remote-mta')?.[0])),
    });
  }
  return {
    recipients,
    perMessage: { ...optional('reportingMta', withoutType(message.get('reporting-mta')?.[0])), ...optional('arrivalDate', message.get('arrival-date')?.[0]) },
  };
}

function isAutoReply(headers: Headers | undefined): boolean {
  if (!headers) return false;
  if (/^\s*auto-replied/i.test(headers.getFirst('auto-submitted'))) return true;
  if (headers.hasHeader('x-autoreply') || headers.hasHeader('x-autorespond')) return true;
  if (/^\s*auto_reply/i.test(headers.getFirst('precedence'))) return true;
  return AUTOREPLY_SUBJECT.test(libmime.decodeWords(headers.getFirst('subject')));
}

function isRecipientField(field: Field): boolean {
  return field.name === 'final-recipient' || field.name === 'original-recipient';
}

function looksLikeDeliveryStatus(text: string): boolean {
  return /^(Final|Original)-Recipient\s*:/im.test(text) && /^(Action|Status)\s*:/im.test(text);
}

/** The text a person would read: the first text/plain part (the report's first part), else the first HTML part as text. */
function humanText(parts: MimePart[]): string {
  const readable = parts.filter((part) => !part.multipart && !ORIGINAL_TYPES.has(part.contentType) && !STATUS_TYPES.has(part.contentType));
  const plain = readable.find((part) => part.contentType === 'text/plain');
  if (plain) return plain.text;
  const html = readable.find((part) => part.contentType === 'text/html');
  return html ? htmlAsText(html.text) : (parts.find((part) => part.multipart)?.text ?? '');
}

function htmlAsText(html: string): string {
  const entities: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: ' ' };
  // Tags are matched up to the next "<" only, so that a run of unclosed ones stays linear.
  return html
    .replace(/<(br|\/p|\/div|\/tr|\/li|\/h\d)\b[^<>]*>/gi, '\n')
    .replace(/<[^<>]*>/g, '')
    .replace(/&#(x[0-9a-f]{1,6}|\d{1,7});/gi, (_entity, digits: string) => {
      const point = /^x/i.test(digits) ? Number.parseInt(digits.slice(1), 16) : Number.parseInt(digits, 10);
      return point > 0 && point <= 0x10ffff ? String.fromCodePoint(point) : ' ';
    })
    .replace(/&([a-z]+);/gi, (entity, name: string) => entities[name.toLowerCase()] ?? entity);
}

function collectTokens(parts: MimePart[]): string[] {
  const tokens = new Set<string>();
  for (const part of parts) {
    const headerText = part.headers ? part.headers.getList().map((header) => header.line).join('\n') : '';
    const scanned = part.multipart || part.contentType.startsWith('text/') || part.contentType.startsWith('message/') ? part.text : '';
    for (const text of [headerText, scanned]) for (const match of text.matchAll(TOKEN_ADDRESS)) tokens.add(match[1]!.toLowerCase());
  }
  return [...tokens];
}

function firstAngle(value: string | undefined): string | undefined {
  return /<[^<>\s]+>/.exec(value ?? '')?.[0];
}

function capped(recipients: ReportedRecipient[], max: number): { recipients: ReportedRecipient[]; truncated: boolean } {
  return { recipients: recipients.slice(0, max), truncated: recipients.length > max };
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

function lowerCaseKeys(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).map(([key, value]) => [key.toLowerCase(), value]));
}

function decodeText(body: Buffer, encoding: string, charset: string): string {
  const bytes = encoding === 'base64' ? Buffer.from(body.toString('latin1').replace(/[^A-Za-z0-9+/]/g, ''), 'base64') : encoding === 'quoted-printable' ? decodeQuotedPrintable(body) : body;
  return charset && iconv.encodingExists(charset) ? iconv.decode(bytes, charset) : bytes.toString('utf8');
}

function decodeQuotedPrintable(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/=\r?\n/g, '');
  const bytes = Buffer.alloc(text.length);
  let length = 0;
  for (let index = 0; index < text.length; index++) {
    const hex = text[index] === '=' ? text.slice(index + 1, index + 3) : '';
    if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes[length++] = Number.parseInt(hex, 16);
      index += 2;
    } else bytes[length++] = text.charCodeAt(index);
  }
  return bytes.subarray(0, length);
}
