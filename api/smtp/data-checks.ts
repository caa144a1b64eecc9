/**
 * First stream every DATA stream goes through: size, line length and the bytes behind
 * SMTP smuggling (CVE-2023-51764 class). smtp-server ends DATA only at
 * <CR><LF>.<CR><LF>, but passes a bare LF, a bare CR or a NUL through as
 * content; a lenient server further down the line may read "\n.\r\n",
 * "\r.\r\n" or "\r\n\0.\r\n" as the end of the message and run what follows
 * as a second one. So such a message is refused (550 5.5.2), never passed on,
 * and nothing of it is queued.
 *
 * The stream never fails: at the first problem it records it and swallows the
 * rest, because smtp-server answers DATA only once the client has sent the
 * whole message, and the reply then names the problem.
 */
import { Transform, type TransformCallback } from 'node:stream';
import { outpostError, OutpostError } from '../../core/errors.js';

const CR = 0x0d;
const LF = 0x0a;
const NUL = 0x00;

export interface DataLimits {
  maxMessageBytes: number;
  /** Longest line without its CRLF. */
  maxLineBytes: number;
}

export class DataChecks extends Transform {
  /** The first problem found; once set, nothing more is passed on. */
  problem: OutpostError | undefined;
  /** Bytes received, all of them (also after a problem). */
  bytes = 0;
  /** Bytes since the last LF, a trailing CR included. */
  private lineBytes = 0;
  /** The previous chunk ended with a CR, whose LF must start this one. */
  private pendingCr = false;

  constructor(private readonly limits: DataLimits) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.problem) return callback();
    if (this.bytes > this.limits.maxMessageBytes) {
      this.problem = outpostError('message_too_large', `the message is larger than ${this.limits.maxMessageBytes} bytes, the SIZE this server announced`);
      return callback();
    }
    this.problem = this.scan(chunk);
    callback(null, this.problem ? undefined : chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (!this.problem && this.pendingCr) this.problem = bareCr();
    callback();
  }

  private scan(chunk: Buffer): OutpostError | undefined {
    if (chunk.length === 0) return undefined;
    if (chunk.includes(NUL)) {
      return outpostError('unsafe_data_bytes', 'the message contains a NUL byte, which SMTP does not allow (RFC 5321 2.3.8) and which can hide the end of a message; encode binary content as base64');
    }
    if (this.pendingCr && chunk[0] !== LF) return bareCr();
    for (let at = chunk.indexOf(CR); at !== -1; at = chunk.indexOf(CR, at + 1)) {
      if (at + 1 < chunk.length && chunk[at + 1] !== LF) return bareCr();
    }
    let lineStart = 0;
    for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) {
      const afterCr = at > 0 ? chunk[at - 1] === CR : this.pendingCr;
      if (!afterCr) {
        return outpostError('unsafe_data_bytes', 'the message contains a bare LF (a line feed without carriage return); end every line with CRLF');
      }
      // the line without its CRLF: what came before this chunk, plus this chunk up to the CR
      if (this.lineBytes + (at - lineStart) - 1 > this.limits.maxLineBytes) return this.lineTooLong();
      this.lineBytes = 0;
      lineStart = at + 1;
    }
    this.lineBytes += chunk.length - lineStart;
    this.pendingCr = chunk[chunk.length - 1] === CR;
    // a trailing CR still belongs to the line ending, not to the line
    if (this.lineBytes - (this.pendingCr ? 1 : 0) > this.limits.maxLineBytes) return this.lineTooLong();
    return undefined;
  }

  private lineTooLong(): OutpostError {
    return outpostError('message_invalid', `a line of the message is longer than ${this.limits.maxLineBytes} bytes (RFC 5322 2.1.1); encode long content as quoted-printable or base64`);
  }
}

function bareCr(): OutpostError {
  return outpostError('unsafe_data_bytes', 'the message contains a bare CR (a carriage return not followed by a line feed); end every line with CRLF');
}
