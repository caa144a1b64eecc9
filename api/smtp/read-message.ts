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
import { Transform, Writable, type Duplex, type Readable, type TransformCallback } from 'node:stream';
import { Joiner, Splitter, type SplitterChunk } from '@zone-eu/mailsplit';
import { outpostError, isOutpostError, OutpostError } from '../../core/errors.js';
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
  const collector = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      collected.push(chunk);
      callback();
    },
  });
  // mailsplit's typings declare only 'data' listeners, hiding the Transform underneath
  const splitter = new Splitter({ maxHeadSize: limits.maxHeaderBytes }) as unknown as Transform;
  const joiner = new Joiner() as unknown as Transform;
  const chain = pipeChain([checks, splitter, options, joiner, collector]);
  try {
    await feed(data, checks, chain);
  } catch (error) {
    chain.destroy();
    throw new DataInterruptedError(`the client left during DATA: ${(error as Error).message}`);
  }
  if (chain.error === undefined) checks.end();
  await chain.done;

  if (checks.problem) throw checks.problem;
  if (chain.error !== undefined) throw asOutpostError(chain.error, limits);
  return { ...options.found, raw: Buffer.concat(collected), receivedBytes: checks.bytes };
}

interface PipeChain {
  /** The first error of any stream. */
  readonly error: unknown;
  /** Resolves when the last stream has finished, or at the first error (never rejects). */
  readonly done: Promise<void>;
  destroy(): void;
}

/**
 * The streams piped one into the next. Not stream.pipeline: for a message of a
 * few KB its per-stream end-of-stream bookkeeping and the AbortController it
 * aborts at every finish (a DOMException, stack trace included) cost about as
 * much CPU as mailsplit's splitting and joining (V8 profile of bench/e2e.ts).
 */
function pipeChain(streams: [Duplex, ...Duplex[], Writable]): PipeChain {
  const chain = { error: undefined as unknown, done: Promise.resolve(), destroy: () => streams.forEach((stream) => stream.destroy()) };
  chain.done = new Promise((resolve) => {
    streams.at(-1)!.once('finish', resolve);
    for (const stream of streams) {
      stream.on('error', (error: unknown) => {
        if (chain.error !== undefined) return;
        chain.error = error;
        chain.destroy();
        resolve();
      });
    }
  });
  for (let index = 0; index + 1 < streams.length; index++) (streams[index] as Duplex).pipe(streams[index + 1]!);
  return chain;
}

/**
 * Writes `data` into `first` with backpressure until `data` ends; rejects if
 * it closes or fails first (the client went away). After a failure of the
 * chain the rest is read and dropped, so the reply comes after the client's
 * final ".".
 */
function feed(data: Readable, first: Writable, chain: PipeChain): Promise<void> {
  return new Promise((resolve, reject) => {
    let ended = false;
    void chain.done.then(() => data.resume());
    data.on('data', (chunk: Buffer) => {
      if (chain.error !== undefined) return;
      if (!first.write(chunk)) {
        data.pause();
        first.once('drain', () => data.resume());
      }
    });
    data.once('end', () => {
      ended = true;
      resolve();
    });
    data.once('error', reject);
    data.once('close', () => {
      if (!ended) reject(new Error('the data stream closed before its end'));
    });
  });
}

/** Takes the X-Outpost-* headers out of the top-level header block as it passes. */
class OutpostHeaderReader extends Transform {
  found: HeaderOptions = { options: {}, tags: [] };

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
  if (isOutpostError(error)) return error;
  if ((error as { code?: string }).code === 'EMAXLEN') {
    return outpostError('message_too_large', `a header block of the message is larger than ${limits.maxHeaderBytes} bytes (or it has too many MIME parts)`);
  }
  return outpostError('message_invalid', `the message could not be read as MIME: ${(error as Error).message}`);
}
