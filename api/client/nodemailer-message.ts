/**
 * A nodemailer message as an Outpost send: the addresses as nodemailer parsed
 * them, text and html resolved to strings, attachments kept as paths, Buffers
 * or streams (a path streams from disk, like any client send), and the
 * X-Outpost-* headers an app used over SMTP turned into the API's fields.
 * What the REST API cannot carry (other custom headers, inline cid images, a
 * raw message, a custom envelope, URLs to fetch) is refused with an error
 * saying so, never dropped without a word.
 */
import type MailMessage from 'nodemailer/lib/mailer/mail-message';
import type { MimeNodeAddress } from 'nodemailer/lib/mime-node';
import { detectExtension } from 'nodemailer/lib/mime-funcs/mime-types';
import { Readable } from 'node:stream';
import { clientError } from './errors.js';
import type { AttachmentInput, SendMessage } from './types.js';

type MailData = MailMessage['data'];
type NodemailerAttachment = NonNullable<MailData['attachments']>[number];

/** Fields of nodemailer's message that the REST API has no place for, with what to do instead. */
const UNSUPPORTED_FIELDS: Partial<Record<keyof MailData, string>> = {
  raw: 'a prebuilt message: send it through SMTP submission (587) instead',
  envelope: 'a custom SMTP envelope: the API sends to to, cc and bcc',
  sender: 'a Sender header: the API sets From (and from_name) only',
  inReplyTo: 'In-Reply-To: send through SMTP submission (587) to set it',
  references: 'References: send through SMTP submission (587) to set it',
  messageId: 'a Message-ID of your own: Outpost makes one',
  watchHtml: 'a watchHtml part: give text and html',
  amp: 'an AMP part: give text and html',
  icalEvent: 'a calendar event: attach the .ics file instead',
  alternatives: 'extra alternatives: give text and html',
  list: 'List-* headers: send through SMTP submission (587) to set them',
  priority: 'priority headers: send through SMTP submission (587) to set them',
};

/** X-Outpost-* headers (as over SMTP submission) and the send field each sets. */
const FLAG_HEADERS: Record<string, keyof SendMessage> = {
  'x-outpost-require-tls': 'require_tls',
  'x-outpost-verify-cert': 'verify_cert',
  'x-outpost-test-mode': 'test_mode',
  'x-outpost-open-tracking': 'open_tracking',
  'x-outpost-click-tracking': 'click_tracking',
  'x-outpost-text-click-tracking': 'text_click_tracking',
  'x-outpost-unsubscribe-tracking': 'unsubscribe_tracking',
};

export async function sendMessageFromNodemailer(mail: MailMessage): Promise<SendMessage> {
  const data = mail.data;
  for (const [field, instead] of Object.entries(UNSUPPORTED_FIELDS)) {
    if (data[field as keyof MailData] !== undefined && data[field as keyof MailData] !== false) {
      throw clientError('invalid_argument', `the Outpost transport cannot send ${field} (${instead})`);
    }
  }
  const addresses = mail.message.getAddresses();
  const from = addresses.from?.[0];
  if (!from?.address) throw clientError('invalid_argument', 'the message has no from address; set from');
  const text = await resolvedText(mail, 'text');
  if (text === undefined) throw clientError('invalid_argument', 'Outpost needs a plain-text body (text), as well as any html; set text');
  const html = await resolvedText(mail, 'html');
  const replyTo = addresses['reply-to']?.[0]?.address;
  return {
    from: from.address,
    ...(from.name ? { from_name: from.name } : {}),
    to: plainAddresses(addresses.to),
    ...(addresses.cc?.length ? { cc: plainAddresses(addresses.cc) } : {}),
    ...(addresses.bcc?.length ? { bcc: plainAddresses(addresses.bcc) } : {}),
    ...(replyTo ? { reply_to: replyTo } : {}),
    subject: data.subject ?? '',
    text,
    ...(html !== undefined ? { html } : {}),
    ...(data.date !== undefined ? { date: new Date(data.date) } : {}),
    ...optionsFromHeaders(data.headers),
    ...(data.attachments?.length ? { attachments: data.attachments.map(attachmentInput) } : {}),
  };
}

/** Addresses of one header, groups flattened. */
function plainAddresses(list: MimeNodeAddress[] | undefined): string[] {
  return (list ?? []).flatMap((entry) => (entry.group ? plainAddresses(entry.group) : entry.address ? [entry.address] : []));
}

/** text or html as a string, whatever form nodemailer was given it in (string, Buffer, stream, path). */
async function resolvedText(mail: MailMessage, key: 'text' | 'html'): Promise<string | undefined> {
  if (mail.data[key] === undefined) return undefined;
  const value: unknown = await mail.resolveContent(mail.data, key);
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function optionsFromHeaders(headers: MailData['headers']): Partial<SendMessage> {
  if (headers === undefined) return {};
  const entries: [string, unknown][] = Array.isArray(headers)
    ? headers.map((header: { key: string; value: unknown }) => [header.key, header.value])
    : Object.entries(headers);
  const options: Record<string, unknown> = {};
  for (const [name, raw] of entries) {
    const key = name.toLowerCase();
    const value = String(typeof raw === 'object' && raw !== null && 'value' in raw ? (raw as { value: unknown }).value : raw).trim();
    if (key === 'x-outpost-tags') {
      options.tags = value.split(',').map((tag) => tag.trim()).filter(Boolean);
    } else if (FLAG_HEADERS[key] && /^(true|false)$/i.test(value)) {
      options[FLAG_HEADERS[key]] = value.toLowerCase() === 'true';
    } else {
      const problem = FLAG_HEADERS[key] ? `${name} must be true or false` : `custom header ${name} cannot be sent through the API (only X-Outpost-Tags and the X-Outpost-* flags); send through SMTP submission (587) to set headers`;
      throw clientError('invalid_argument', problem);
    }
  }
  return options as Partial<SendMessage>;
}

function attachmentInput(attachment: NodemailerAttachment, index: number): AttachmentInput {
  const where = `attachments[${index}]`;
  if (attachment.cid) throw clientError('invalid_argument', `${where}: inline images (cid) are not supported by the API; attach the file, or link to the image`);
  if (attachment.raw !== undefined || attachment.href) throw clientError('invalid_argument', `${where}: give content or a local path (raw parts and URLs are not fetched)`);
  const contentType = attachment.contentType ? { content_type: attachment.contentType } : {};
  const filename = attachment.filename || `attachment-${index + 1}.${detectExtension(attachment.contentType || 'application/octet-stream')}`;
  if (typeof attachment.path === 'string') {
    if (/^https?:\/\//i.test(attachment.path)) throw clientError('invalid_argument', `${where}: ${attachment.path} is a URL; download it and attach the file, or give its content`);
    if (/^data:/i.test(attachment.path)) return { content: dataUriBytes(attachment.path, where), filename, ...contentType };
    return { path: attachment.path, ...(attachment.filename ? { filename: attachment.filename } : {}), ...contentType };
  }
  const content = attachment.content;
  if (content instanceof Readable) return { content, filename, ...contentType };
  if (Buffer.isBuffer(content)) return { content, filename, ...contentType };
  if (typeof content === 'string') return { content: Buffer.from(content, (attachment.encoding as BufferEncoding | undefined) ?? 'utf8'), filename, ...contentType };
  throw clientError('invalid_argument', `${where}: give content (a string, Buffer or stream) or path`);
}

function dataUriBytes(uri: string, where: string): Buffer {
  const match = /^data:[^,]*?(;base64)?,(.*)$/is.exec(uri);
  if (!match) throw clientError('invalid_argument', `${where}: not a readable data: URI`);
  return match[1] ? Buffer.from(match[2]!, 'base64') : Buffer.from(decodeURIComponent(match[2]!));
}
