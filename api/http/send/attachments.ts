/**
 * Attachments of a send, whichever form they came in: decoded from a JSON body's
 * base64, or a file this server wrote from a multipart upload. Either way the
 * content is something the server holds itself, never a path a client named.
 * The count and total size limits (config api) are checked here for both forms.
 */
import { createHash } from 'node:crypto';
import type { ApiConfig } from '../../../config/index.js';
import { outpostError, OutpostError } from '../../../core/errors.js';
import type { JsonAttachmentValue } from './schema.js';

export interface MailAttachment {
  filename: string;
  /** undefined: guessed from the file name when the message is built. */
  contentType: string | undefined;
  size: number;
  /** Hex SHA-256 of the content: an idempotent retry is recognised by it. */
  sha256: string;
  content: { kind: 'bytes'; bytes: Buffer } | { kind: 'upload'; file: string };
}

export type AttachmentLimits = Pick<ApiConfig, 'maxAttachments' | 'maxAttachmentBytes'>;

export function tooManyAttachments(limits: AttachmentLimits): OutpostError {
  return outpostError('too_many_attachments', `at most ${limits.maxAttachments} attachments per message (OUTPOST_API_MAX_ATTACHMENTS); send fewer, or link to the files`);
}

export function attachmentsTooLarge(limits: AttachmentLimits): OutpostError {
  return outpostError('attachment_too_large', `the attachments add up to more than ${limits.maxAttachmentBytes} bytes, the limit per message (OUTPOST_API_MAX_ATTACHMENT_BYTES); send smaller files, or link to them`);
}

export function decodeJsonAttachments(attachments: readonly JsonAttachmentValue[], limits: AttachmentLimits): MailAttachment[] {
  if (attachments.length > limits.maxAttachments) throw tooManyAttachments(limits);
  let total = 0;
  return attachments.map((attachment) => {
    const bytes = Buffer.from(attachment.content, 'base64');
    total += bytes.length;
    if (total > limits.maxAttachmentBytes) throw attachmentsTooLarge(limits);
    return {
      filename: attachment.filename,
      contentType: attachment.content_type,
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      content: { kind: 'bytes', bytes },
    };
  });
}
