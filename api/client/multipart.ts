/**
 * A multipart/form-data body (RFC 7578) made of text fields and file parts,
 * produced as a stream: the content of each file is pulled chunk by chunk as
 * the socket takes it, and every chunk handed on is counted for the progress
 * callback. The length is known (and sent as Content-Length) when every
 * file's size is. A file whose size changes while it is sent fails the body
 * rather than upload something other than what was announced.
 * It must never hold more than a chunk of any file in memory.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { StreamedBody } from './api-caller.js';
import type { FilePart } from './attachments.js';
import type { UploadProgress } from './types.js';

const CRLF = '\r\n';

/** `fields` in order (a name may repeat), then `files`, each as a part named `fileField`. */
export function multipartBody(fields: [string, string][], fileField: string, files: FilePart[], onProgress?: (progress: UploadProgress) => void): StreamedBody {
  const boundary = `outpost-${randomBytes(16).toString('hex')}`;
  const fieldParts = fields.map(([name, value]) => Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; name="${name}"${CRLF}${CRLF}${value}${CRLF}`));
  const fileHeads = files.map((file) =>
    Buffer.from(`--${boundary}${CRLF}Content-Disposition: form-data; name="${fileField}"; ${filenameParameter(file.filename)}${CRLF}Content-Type: ${file.contentType}${CRLF}${CRLF}`),
  );
  const tail = Buffer.from(`--${boundary}--${CRLF}`);
  const fixedBytes = [...fieldParts, ...fileHeads, tail].reduce((sum, part) => sum + part.length, 0) + files.length * CRLF.length;
  const length = files.every((file) => file.size !== undefined) ? fixedBytes + files.reduce((sum, file) => sum + file.size!, 0) : undefined;

  async function* chunks(): AsyncGenerator<Buffer> {
    for (const part of fieldParts) yield part;
    for (const [index, file] of files.entries()) {
      yield fileHeads[index]!;
      let sent = 0;
      for await (const chunk of file.open()) {
        const bytes = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array | string);
        sent += bytes.length;
        yield bytes;
      }
      if (file.size !== undefined && sent !== file.size) {
        throw new Error(`${file.filename} changed while it was sent (${file.size} bytes when checked, ${sent} read); send it again once it is complete`);
      }
      yield Buffer.from(CRLF);
    }
    yield tail;
  }

  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length,
    replayable: files.every((file) => file.replayable),
    open() {
      let sentBytes = 0;
      const counted = async function* (): AsyncGenerator<Buffer> {
        for await (const chunk of chunks()) {
          yield chunk;
          // counted once the socket asked for the next chunk, i.e. took this one
          sentBytes += chunk.length;
          onProgress?.({ sentBytes, totalBytes: length });
        }
      };
      return Readable.from(counted(), { objectMode: false, highWaterMark: 64 * 1024 });
    },
  };
}

/**
 * The filename parameter: plain when the name is printable ASCII without
 * quotes or backslashes, else RFC 5987's UTF-8 form, which the server's parser
 * (busboy) decodes.
 */
function filenameParameter(filename: string): string {
  if (/^[\x20-\x7e]*$/.test(filename) && !/["\\]/.test(filename)) return `filename="${filename}"`;
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (character) => `%${character.charCodeAt(0).toString(16).toUpperCase()}`);
  return `filename*=UTF-8''${encoded}`;
}
