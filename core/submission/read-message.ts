/**
 * Reads one DATA stream into the message Outpost will submit:
 *
 *   DATA ─► DataChecks ─► mailsplit Splitter ─► X-Outpost-* taken ─► Joiner ─► collected
 *           size, bare      header blocks        from the top-level              (bounded by
 *           CR/LF, NUL,     (size-limited)       header block                    SIZE)
 *           line length
 *
 * Everything streams with backpressure; only the final message is held, and
 * never more than SIZE bytes of it (the pipeline takes the message as one
 * Buffer, so it cannot stream further than that). smtp-server's stream is
 * always read to its end, even after a problem, because smtp-server answers
 * DATA only then; a destroyed stream would make it answer while the client is
 * still sending.
 */
import { once } from 'node:events';
import { Transform, Writable, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { InvalidMessageError, MessageTooLargeError, OutpostError } from '../errors.js';
import { DataChecks, type DataLimits } from './data-checks.js';
import { takeOutpostHeaders, type HeaderOptions } from './outpost-headers.js';

export interface MessageLimits extends DataLimits {
  /** Largest header block of the message or of any MIME part. */
  maxHeaderBytes: number;
}

export interface ReceivedMessage extends HeaderOptions {
  /** The message without its X-Outpost-* headers. */
  raw: Buffer;
  /** Bytes received in DATA (after dot-unstuffing). */
  receivedBytes: number;
}

/** The client went away before the end of DATA: there is nobody to answer. */
export class DataInterruptedError extends Error {}

/** Resolves with the message; rejects with the OutpostError to answer, or DataInterruptedError. */
export async function readMessage(data: Readable, limits: MessageLimits): Promise<ReceivedMessage> {
  const checks = new DataChecks(limits);
  const options = new OutpostHeaderReader();
  const collected: Buffer[] = [];
  const chain = pipeline(
    checks,
    new Splitter({ maxHeadSize: limits.maxHeaderBytes }),
    options,
    new Joiner(),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        collected.push(chunk);
        callback();
      },
    }),
  );
  let chainError: unknown;
  const chainDone = chain.then(
    () => undefined,
    (error: unknown) => {
      chainError = error;
    },
  );

  try {
    for await (const chunk of data as AsyncIterable<Buffer>) {
      // after a failure the rest is read and dropped, so the reply comes after the client's final "."
      if (chainError !== undefined) continue;
      if (!checks.write(chunk)) await Promise.race([once(checks, 'drain').catch(() => undefined), chainDone]);
    }
  } catch (error) {
    checks.destroy();
    await chainDone;
    throw new DataInterruptedError(`the client left during DATA: ${(error as Error).message}`);
  }
  if (chainError === undefined) checks.end();
  await chainDone;

  if (checks.problem) throw checks.problem;
  if (chainError !== undefined) throw asOutpostError(chainError, limits);
  return { ...options.found, raw: Buffer.concat(collected), receivedBytes: checks.bytes };
}

/** Takes the X-Outpost-* headers out of the top-level header block as it passes. */
class OutpostHeaderReader extends Transform {
  found: HeaderOptions = { options: {}, tracking: {}, tags: [] };

  constructor() {
    super({ objectMode: true });
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.type === 'node' && chunk.root && chunk.headers) {
      try {
        this.found = takeOutpostHeaders(chunk.headers);
      } catch (error) {
        return callback(error as Error);
      }
    }
    callback(null, chunk);
  }
}

function asOutpostError(error: unknown, limits: MessageLimits): OutpostError {
  if (error instanceof OutpostError) return error;
  if ((error as { code?: string }).code === 'EMAXLEN') {
    return new MessageTooLargeError(`a header block of the message is larger than ${limits.maxHeaderBytes} bytes (or it has too many MIME parts)`);
  }
  return new InvalidMessageError(`the message could not be read as MIME: ${(error as Error).message}`);
}
