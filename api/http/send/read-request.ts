/**
 * Reads the body of POST /v1/mail/send in either form it may come in (JSON, or
 * multipart/form-data with file parts) and validates it into one shape: the
 * fields and the attachments. Any other content type answers 415.
 */
import type Koa from 'koa';
import { z } from 'zod';
import type { ApiConfig } from '../../../config/index.js';
import { outpostError } from '../../../core/errors.js';
import { readJson } from '../body.js';
import { decodeJsonAttachments, type MailAttachment } from './attachments.js';
import { readMultipartSend } from './multipart.js';
import { parseSendBody, refuseAttachmentPaths } from './request-errors.js';
import { JsonAttachment, SendFields, SendRequest, type SendFieldValues } from './schema.js';
import type { UploadArea } from './uploads.js';

export interface SendInput {
  fields: SendFieldValues;
  attachments: MailAttachment[];
  /** Removes what the request left on disk (multipart uploads); call it once the request has answered. */
  discard(): Promise<void>;
}

/** A multipart body validated in one go: its text fields plus what its file parts said about themselves. */
const MultipartBody = SendFields.extend({ attachments: z.array(JsonAttachment.omit({ content: true })).optional() });

export async function readSendInput(ctx: Koa.Context, limits: ApiConfig, uploads: UploadArea): Promise<SendInput> {
  const type = ctx.request.is('application/json', 'multipart/form-data');
  const contentType = ctx.get('content-type');
  if (type === null || (!contentType && !ctx.request.length)) {
    throw outpostError('invalid_request', 'the request has no body; send the message as application/json or multipart/form-data');
  }
  if (type === false) {
    throw outpostError('unsupported_media_type', `send the message as application/json or multipart/form-data (got ${contentType || 'no Content-Type'})`);
  }
  return type === 'application/json' ? readJsonSend(ctx, limits) : readMultipartBody(ctx, limits, uploads);
}

async function readJsonSend(ctx: Koa.Context, limits: ApiConfig): Promise<SendInput> {
  const body = await readJson(ctx, limits.maxJsonBytes);
  refuseAttachmentPaths(body);
  const { attachments = [], ...fields } = parseSendBody(SendRequest, body);
  return { fields, attachments: decodeJsonAttachments(attachments, limits), discard: async () => undefined };
}

async function readMultipartBody(ctx: Koa.Context, limits: ApiConfig, uploads: UploadArea): Promise<SendInput> {
  const directory = await uploads.open();
  try {
    const { fields, files } = await readMultipartSend(ctx.req, limits, directory);
    const metadata = files.map((file) => ({ filename: file.filename, content_type: file.contentType }));
    const parsed = parseSendBody(MultipartBody, { ...fields, ...(files.length > 0 ? { attachments: metadata } : {}) });
    const { attachments: described = [], ...validFields } = parsed;
    const attachments = files.map((file, index): MailAttachment => ({
      filename: described[index]!.filename,
      contentType: described[index]!.content_type,
      size: file.size,
      sha256: file.sha256,
      content: { kind: 'upload', file: file.file },
    }));
    return { fields: validFields, attachments, discard: directory.remove };
  } catch (error) {
    // The client may still be sending: answer and close rather than read the rest of an upload that is refused.
    ctx.set('Connection', 'close');
    await directory.remove();
    throw error;
  }
}
