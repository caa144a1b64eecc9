/**
 * Builds the RFC 5322 message of a send with nodemailer's MailComposer: From
 * with its display name, To, Cc, Reply-To, Subject (non-ASCII as encoded words),
 * Date, a Message-ID on OUTPOST_HOSTNAME, the bodies in the asked charset and
 * transfer encoding, and the attachments, their names as RFC 2231 parameters
 * only. Bcc is never handed to it, so it cannot appear in any header. File and
 * URL access are switched off: the only content it reads is what the server
 * itself holds.
 */
import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import libmime from 'libmime';
import MailComposer, { type MailComposerAttachment } from 'nodemailer/lib/mail-composer';
import type MimeNode from 'nodemailer/lib/mime-node';
import type { MimeNodePreparedHeaderValue } from 'nodemailer/lib/mime-node';
import type { MailAttachment } from './attachments.js';
import { textPart, type BodyEncoding } from './body-text.js';

export interface MessageParts {
  from: string;
  fromName: string | undefined;
  /** Bare addresses only (addresses.ts). */
  to: string[];
  cc: string[];
  replyTo: string | undefined;
  subject: string;
  text: string;
  html: string | undefined;
  date: Date | undefined;
  charset: string;
  encoding: BodyEncoding;
  attachments: MailAttachment[];
  /** Domain of the Message-ID. */
  hostname: string;
}

export async function composeMessage(parts: MessageParts): Promise<Buffer> {
  const bodies = [textPart('text', parts.text, parts.charset, parts.encoding)];
  if (parts.html !== undefined) bodies.push(textPart('html', parts.html, parts.charset, parts.encoding));
  const composer = new MailComposer({
    from: { name: parts.fromName ?? '', address: parts.from },
    ...(parts.to.length > 0 ? { to: parts.to } : {}),
    ...(parts.cc.length > 0 ? { cc: parts.cc } : {}),
    ...(parts.replyTo ? { replyTo: parts.replyTo } : {}),
    subject: parts.subject,
    messageId: `<${randomUUID()}@${parts.hostname}>`,
    date: parts.date ?? new Date(),
    alternatives: bodies,
    attachments: parts.attachments.map(composerAttachment),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const root = composer.compile();
  if (parts.encoding === '8bit') keepEightBit(root, new Set(bodies.map((body) => body.content)));
  writeNamesAsRfc2231(root);
  return root.build();
}

function composerAttachment(attachment: MailAttachment): MailComposerAttachment {
  const { content } = attachment;
  return {
    filename: attachment.filename,
    ...(attachment.contentType ? { contentType: attachment.contentType } : {}),
    // a stream the server opens on its own upload file: MailComposer reads it chunk by chunk while building
    content: content.kind === 'bytes' ? content.bytes : createReadStream(content.file),
  };
}

/**
 * MimeNode turns a text part labelled 8bit into quoted-printable or base64 (it
 * cannot know the transport takes 8BITMIME; delivery announces it when the body
 * needs it). The client asked for 8bit and body-text.ts checked the lines fit, so
 * the body parts keep it: their transfer encoding is pinned, and their bytes go
 * out as they are.
 */
function keepEightBit(node: MimeNode, bodies: ReadonlySet<unknown>): void {
  if (bodies.has(node.content)) node.getTransferEncoding = () => '8bit';
  for (const child of node.childNodes) keepEightBit(child, bodies);
}

/**
 * MimeNode writes a non-ASCII attachment name into Content-Type's name= as RFC 2047
 * encoded words inside a quoted string (its own workaround for one webmail), which
 * RFC 2047 section 5 forbids there, and rebuilds any Content-Type or -Disposition it
 * is given. So each attachment node gets both headers prepared here (MimeNode then
 * only folds them): libmime's buildHeaderValue writes the name plain or quoted when it
 * is short ASCII, else as RFC 2231 parameters (name*=utf-8''..., numbered sections
 * past 50 characters). Every attachment has a base64 Content-Transfer-Encoding set by
 * MailComposer, so MimeNode has no need to read the type back from the prepared header.
 */
function writeNamesAsRfc2231(node: MimeNode): void {
  if (node.filename !== undefined) {
    node.setHeader('Content-Type', withName(String(node.getHeader('Content-Type')), 'name', node.filename));
    node.setHeader('Content-Disposition', withName(String(node.getHeader('Content-Disposition')), 'filename', node.filename));
  }
  for (const child of node.childNodes) writeNamesAsRfc2231(child);
}

function withName(value: string, parameter: 'name' | 'filename', name: string): MimeNodePreparedHeaderValue {
  const built = libmime.buildHeaderValue({ value, params: { [parameter]: name } });
  // libmime numbers even a lone section (name*0*=); RFC 2231 writes that one unnumbered (name*=)
  return { prepared: true, foldLines: true, value: built.replace(/\*0\*=([^;]*)$/, '*=$1') };
}
