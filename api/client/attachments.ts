/**
 * Turns the attachments a caller gives (local paths, Buffers, streams) into
 * file parts ready to upload: the name the recipient sees, a media type
 * (guessed from the name when not given), the size when it is known, and a
 * way to open the content. A path is checked (it exists, is a file, can be
 * read) before anything is sent, and later read as a stream, one chunk at a
 * time. It must never read a file into memory whole.
 */
import { constants, createReadStream } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { detectMimeType } from 'nodemailer/lib/mime-funcs/mime-types';
import { clientError } from './errors.js';
import type { AttachmentInput } from './types.js';

export interface FilePart {
  filename: string;
  contentType: string;
  /** Bytes; undefined for a stream of unknown size. */
  size: number | undefined;
  /** Whether open() may be called more than once (not for a caller's stream). */
  replayable: boolean;
  open(): Readable;
}

/** Chunk size of file reads: large enough to keep the socket busy, small enough to be nothing in memory. */
const READ_CHUNK_BYTES = 64 * 1024;
/** Characters that would break the part's header line, or that a filename should never carry. */
const CONTROL_CHARACTER = /\p{Cc}/u;

export async function prepareAttachments(inputs: readonly AttachmentInput[]): Promise<FilePart[]> {
  return Promise.all(inputs.map((input, index) => prepareAttachment(input, index)));
}

async function prepareAttachment(input: AttachmentInput, index: number): Promise<FilePart> {
  const where = `attachments[${index}]`;
  if (typeof input === 'string' || (typeof input === 'object' && input !== null && 'path' in input)) {
    const file = typeof input === 'string' ? input : input.path;
    const size = await readableFileSize(file, where);
    const named: { filename?: string; content_type?: string } = typeof input === 'string' ? {} : input;
    return {
      filename: checkedFilename(named.filename ?? path.basename(file), where),
      contentType: named.content_type ?? guessedType(named.filename ?? file),
      size,
      replayable: true,
      open: () => createReadStream(file, { highWaterMark: READ_CHUNK_BYTES }),
    };
  }
  if (!input || typeof input !== 'object' || !('content' in input) || !input.filename) {
    throw clientError('invalid_argument', `${where}: give a path, or {content, filename} with content a Buffer, a string or a readable stream`);
  }
  const filename = checkedFilename(input.filename, where);
  const contentType = input.content_type ?? guessedType(filename);
  const content = input.content;
  if (content instanceof Readable) {
    let opened = false;
    return {
      filename,
      contentType,
      size: 'size' in input ? input.size : undefined,
      replayable: false,
      open() {
        // a stream can be sent once; the caller (api-caller.ts) never retries a body holding one
        if (opened) throw clientError('invalid_argument', `${where}: a stream attachment can be sent only once`);
        opened = true;
        return content;
      },
    };
  }
  const bytes = typeof content === 'string' ? Buffer.from(content) : Buffer.from(content.buffer, content.byteOffset, content.byteLength);
  return { filename, contentType, size: bytes.length, replayable: true, open: () => Readable.from(slices(bytes)) };
}

/** Content from memory in file-read-sized pieces, so progress and an early refusal are seen as for a file. */
function* slices(bytes: Buffer): Generator<Buffer> {
  for (let start = 0; start < bytes.length; start += READ_CHUNK_BYTES) yield bytes.subarray(start, start + READ_CHUNK_BYTES);
}

/** The size of a readable regular file, or attachment_unreadable naming the path and what to do. */
async function readableFileSize(file: string, where: string): Promise<number> {
  try {
    const stats = await stat(file);
    if (!stats.isFile()) throw clientError('attachment_unreadable', `${where}: ${file} is not a regular file; give the path of a file`);
    await access(file, constants.R_OK);
    return stats.size;
  } catch (error) {
    if ((error as { code?: string }).code === 'ENOENT') throw clientError('attachment_unreadable', `${where}: ${file} does not exist; give the full path of the file`, error);
    if ((error as { code?: string }).code === 'EACCES') throw clientError('attachment_unreadable', `${where}: ${file} cannot be read (permission denied)`, error);
    throw error;
  }
}

function checkedFilename(filename: string, where: string): string {
  if (filename === '' || CONTROL_CHARACTER.test(filename)) {
    throw clientError('invalid_argument', `${where}: the filename ${JSON.stringify(filename)} is empty or holds control characters (a line break would end the header); rename it`);
  }
  return filename;
}

/**
 * The media type for a file name. The server refuses multipart/* and message/*
 * as attachment types (they would be read as structure), so a guess of one is
 * sent as application/octet-stream; a type the caller chose is sent as given.
 */
function guessedType(filename: string): string {
  const guessed = detectMimeType(filename);
  return /^(multipart|message)\//i.test(guessed) ? 'application/octet-stream' : guessed;
}
