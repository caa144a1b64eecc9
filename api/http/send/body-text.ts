/**
 * The text and HTML bodies in the charset and Content-Transfer-Encoding the
 * client asked for. MailComposer labels its own text parts UTF-8 and picks their
 * transfer encoding itself, so the bodies go to it as alternatives instead: bytes
 * already in the charset (iconv-lite, the converter libmime and mailparser use),
 * a Content-Type naming that charset, and the encoding set on the part. 8bit
 * needs one more step, in compose.ts.
 */
import iconv from 'iconv-lite';
import type { MailComposerAlternative } from 'nodemailer/lib/mail-composer';
import { outpostError } from '../../../core/errors.js';

export const BODY_ENCODINGS = ['quoted-printable', 'base64', '8bit'] as const;
export type BodyEncoding = (typeof BODY_ENCODINGS)[number];

/**
 * Printable ASCII and a line break. A MIME text part must write these as their
 * ASCII bytes (RFC 2046 4.1.1), which rules out UTF-16/32, UTF-7 and the
 * byte-to-text "encodings" (base64, hex) iconv-lite also knows.
 */
const ASCII_SAMPLE = `${Array.from({ length: 95 }, (_, index) => String.fromCharCode(32 + index)).join('')}\r\n`;

/** RFC 5322 2.1.1: no line may be longer than 998 octets, CRLF not counted. */
const MAX_LINE_OCTETS = 998;

/** Why `charset` cannot label a text part, or undefined when it can. */
export function charsetProblem(charset: string): string | undefined {
  if (!iconv.encodingExists(charset)) return `unknown charset "${charset}"; use UTF-8, or a name such as ISO-8859-1 or windows-1252`;
  if (!iconv.encode(ASCII_SAMPLE, charset).equals(Buffer.from(ASCII_SAMPLE, 'latin1'))) {
    return `"${charset}" does not write ASCII as ASCII, so it cannot label a mail text part; use UTF-8`;
  }
  return undefined;
}

/** `content` as a MailComposer alternative (the charset was checked with charsetProblem). */
export function textPart(field: 'text' | 'html', content: string, charset: string, encoding: BodyEncoding): MailComposerAlternative {
  const bytes = iconv.encode(content, charset);
  if (iconv.decode(bytes, charset, { stripBOM: false }) !== content) {
    fieldProblem(field, `has characters that ${charset} cannot represent; send it with charset UTF-8, or leave those characters out`);
  }
  if (encoding === '8bit') {
    const problem = eightBitProblem(bytes);
    if (problem) fieldProblem(field, `${problem}, which encoding 8bit does not allow (RFC 5322 2.1.1); use quoted-printable or base64`);
  }
  return {
    contentType: `text/${field === 'text' ? 'plain' : 'html'}; charset=${charset}`,
    content: bytes,
    contentTransferEncoding: encoding,
  };
}

function eightBitProblem(bytes: Buffer): string | undefined {
  let lineStart = 0;
  for (let index = 0; index <= bytes.length; index++) {
    const byte = bytes[index];
    if (byte === 0) return 'contains a NUL character';
    if (byte !== 0x0a && index < bytes.length) continue;
    const lineEnd = bytes[index - 1] === 0x0d ? index - 1 : index;
    if (lineEnd - lineStart > MAX_LINE_OCTETS) return `has a line longer than ${MAX_LINE_OCTETS} bytes`;
    lineStart = index + 1;
  }
  return undefined;
}

function fieldProblem(field: string, problem: string): never {
  throw outpostError('invalid_request', `invalid request: ${field}: ${problem}`, { details: [{ field, problem }] });
}
