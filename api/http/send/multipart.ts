/**
 * Reads a multipart/form-data send with busboy. Text fields are collected
 * (those the schema types as arrays may repeat, the others may not; "true" and
 * "false" become booleans where the schema wants one). Each file part named
 * `attachments` is streamed, with backpressure, into a file the server names in
 * the request's upload directory while its size and SHA-256 are counted, so an
 * upload never sits in memory whole. A limit stops the upload as soon as it is
 * passed, not after the whole body has arrived.
 */
import { createHash, type Hash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { z } from 'zod';
import type { ApiConfig } from '../../../config/index.js';
import { outpostError, OutpostError } from '../../../core/errors.js';
import { attachmentsTooLarge, tooManyAttachments } from './attachments.js';
import { attachmentPathRefused } from './request-errors.js';
import { SendFields } from './schema.js';
import type { UploadDirectory } from './uploads.js';

/** One file part, written to `file`. */
export interface UploadedFile {
  filename: string | undefined;
  contentType: string;
  size: number;
  sha256: string;
  file: string;
}

export interface MultipartSend {
  /** Text fields by name, ready for the schema. */
  fields: Record<string, unknown>;
  files: UploadedFile[];
}

const fieldShapes = Object.entries(SendFields.shape).map(([name, schema]) => {
  const inner = schema instanceof z.ZodOptional ? schema.unwrap() : schema;
  return { name, repeats: inner instanceof z.ZodArray, isFlag: inner instanceof z.ZodBoolean };
});
const REPEATABLE_FIELDS = new Set(fieldShapes.filter((shape) => shape.repeats).map((shape) => shape.name));
const FLAG_FIELDS = new Set(fieldShapes.filter((shape) => shape.isFlag).map((shape) => shape.name));
/** Text fields besides the repeatable ones; bounds busboy's field count with the recipient limit. */
const SINGLE_FIELD_ALLOWANCE = 50;

/** Counts the bytes of one file against the total left for attachments, and hashes them. */
class AttachmentMeter extends Transform {
  size = 0;
  private readonly hash: Hash = createHash('sha256');

  constructor(private readonly budget: { bytesLeft: number }, private readonly tooLarge: () => Error) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.budget.bytesLeft -= chunk.length;
    if (this.budget.bytesLeft < 0) return callback(this.tooLarge());
    this.size += chunk.length;
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest('hex');
  }
}

/** Reads a part nobody wants to its end; busboy fails it when the parser is destroyed, which must not go unheard. */
function skip(stream: Readable): void {
  stream.on('error', () => undefined);
  stream.resume();
}

export function readMultipartSend(request: IncomingMessage, limits: ApiConfig, directory: UploadDirectory): Promise<MultipartSend> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({
        headers: request.headers,
        defParamCharset: 'utf8',
        limits: {
          fieldSize: limits.maxJsonBytes,
          fields: 3 * limits.maxRecipients + SINGLE_FIELD_ALLOWANCE,
          files: limits.maxAttachments,
        },
      });
    } catch (error) {
      reject(outpostError('invalid_request', `cannot read the multipart body: ${(error as Error).message}`));
      return;
    }

    const fields: Record<string, unknown> = {};
    const writes: Promise<UploadedFile>[] = [];
    const fileStreams = new Set<Readable>();
    const attachmentBudget = { bytesLeft: limits.maxAttachmentBytes };
    let textBytesLeft = limits.maxJsonBytes;
    let failure: unknown;

    const fail = (error: unknown): void => {
      if (failure !== undefined) return;
      failure = error;
      request.unpipe(parser);
      parser.destroy();
      for (const stream of fileStreams) stream.destroy();
      reject(error);
    };
    const textTooLarge = (): OutpostError =>
      outpostError('message_too_large', `the text fields add up to more than ${limits.maxJsonBytes} bytes (OUTPOST_API_MAX_JSON_BYTES)`);

    parser.on('field', (name, value, info) => {
      if (failure !== undefined) return;
      textBytesLeft -= Buffer.byteLength(value);
      if (info.valueTruncated || textBytesLeft < 0) return fail(textTooLarge());
      if (name === 'attachments') return fail(attachmentPathRefused('attachments'));
      if (REPEATABLE_FIELDS.has(name)) {
        const list = (fields[name] as string[] | undefined) ?? [];
        list.push(value);
        fields[name] = list;
        return;
      }
      if (name in fields) {
        const problem = `given more than once; only ${[...REPEATABLE_FIELDS].join(', ')} may repeat`;
        return fail(outpostError('invalid_request', `invalid request: ${name}: ${problem}`, { details: [{ field: name, problem }] }));
      }
      fields[name] = FLAG_FIELDS.has(name) && /^(true|false)$/.test(value) ? value === 'true' : value;
    });

    parser.on('file', (name, stream, info) => {
      if (failure !== undefined) return skip(stream);
      if (name !== 'attachments') {
        skip(stream);
        return fail(outpostError('invalid_request', `invalid request: ${name}: file parts must be named attachments`, { details: [{ field: name, problem: 'file parts must be named attachments' }] }));
      }
      fileStreams.add(stream);
      const file = path.join(directory.path, `attachment-${writes.length}`);
      const meter = new AttachmentMeter(attachmentBudget, () => attachmentsTooLarge(limits));
      const write = pipeline(stream, meter, createWriteStream(file, { flags: 'wx' })).then(() => ({
        filename: info.filename,
        contentType: info.mimeType,
        size: meter.size,
        sha256: meter.digest(),
        file,
      }));
      write.catch(fail).finally(() => fileStreams.delete(stream));
      writes.push(write);
    });

    parser.on('filesLimit', () => fail(tooManyAttachments(limits)));
    parser.on('fieldsLimit', () => fail(outpostError('message_too_large', 'the multipart body has more fields than a send can use; check the recipient limit (OUTPOST_API_MAX_RECIPIENTS)')));
    parser.on('error', (error: unknown) => fail(outpostError('invalid_request', `cannot read the multipart body: ${(error as Error).message}`)));
    parser.on('close', () => {
      Promise.all(writes).then((files) => failure === undefined && resolve({ fields, files }), fail);
    });
    request.on('error', fail);
    request.on('close', () => request.complete || fail(outpostError('invalid_request', 'the request body was cut off before its end')));
    request.pipe(parser);
  });
}
