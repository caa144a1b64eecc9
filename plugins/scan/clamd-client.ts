/**
 * clamd's INSTREAM command (the clamd(8) protocol): `zINSTREAM\0`, then the
 * message in chunks, each a 4-byte big-endian length and its bytes, then a
 * zero length; clamd answers `stream: OK` or `stream: <signature> FOUND`, or
 * `... ERROR` (its StreamMaxLength passed, a broken database). Only the
 * protocol: what an answer means for the message is the plugin's business.
 */
import { exchange, writeChunk } from './daemon-connection.js';
import type { DaemonAddress } from './shared-settings.js';

/** Bytes per INSTREAM chunk (clamdscan sends about as much). */
const CHUNK_BYTES = 64 * 1024;

/** What clamd found: a signature name, or nothing. Throws when clamd cannot be had or answers an error. */
export async function clamdScan(address: DaemonAddress, message: Buffer, signal: AbortSignal): Promise<{ virus: string | undefined }> {
  const answer = await exchange(address, signal, 4096, async (socket) => {
    await writeChunk(socket, Buffer.from('zINSTREAM\0', 'latin1'));
    for (let offset = 0; offset < message.length; offset += CHUNK_BYTES) {
      const chunk = message.subarray(offset, offset + CHUNK_BYTES);
      const length = Buffer.alloc(4);
      length.writeUInt32BE(chunk.length);
      await writeChunk(socket, length);
      await writeChunk(socket, chunk);
    }
    await writeChunk(socket, Buffer.alloc(4));
  });
  const text = answer.toString('utf8').replace(/\0+$/, '').trim();
  if (text === 'stream: OK') return { virus: undefined };
  const found = /^stream: (.+) FOUND$/.exec(text);
  if (found) return { virus: found[1]! };
  throw new Error(text ? `clamd answered "${text.slice(0, 200)}"` : 'clamd closed the connection without an answer');
}
