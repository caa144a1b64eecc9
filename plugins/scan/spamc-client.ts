/**
 * The SPAMC protocol spamd speaks (SpamAssassin's spamd/PROTOCOL): `SYMBOLS
 * SPAMC/1.5`, Content-length, the message; spamd answers `SPAMD/1.1 0 EX_OK`,
 * a `Spam: True ; <score> / <threshold>` header and the names of the tests
 * that hit. Only the protocol: the threshold that decides is the plugin's.
 */
import { exchange, writeChunk } from './daemon-connection.js';
import type { DaemonAddress } from './shared-settings.js';

export interface SpamdReport {
  score: number;
  /** spamd's own required_score (informational: Outpost applies its own threshold). */
  spamdThreshold: number;
  /** SpamAssassin test names that hit, e.g. GTUBE, MISSING_DATE. */
  symbols: string[];
}

/** spamd's report on `message`. Throws when spamd cannot be had or answers anything but EX_OK. */
export async function spamdCheck(address: DaemonAddress, message: Buffer, signal: AbortSignal): Promise<SpamdReport> {
  const answer = await exchange(address, signal, 64 * 1024, async (socket) => {
    await writeChunk(socket, Buffer.from(`SYMBOLS SPAMC/1.5\r\nContent-length: ${message.length}\r\n\r\n`, 'latin1'));
    await writeChunk(socket, message);
    // half-close: the request is complete, spamd answers and closes
    socket.end();
  });
  const text = answer.toString('utf8');
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = (split < 0 ? text : text.slice(0, split)).split('\r\n');
  const status = /^SPAMD\/[\d.]+ (\d+) (.*)$/.exec(statusLine);
  if (!status) throw new Error(text ? `spamd answered "${statusLine.slice(0, 200)}"` : 'spamd closed the connection without an answer');
  if (status[1] !== '0') throw new Error(`spamd answered ${status[1]} ${status[2]}`);
  const spam = headerLines.map((line) => /^Spam:\s*\w+\s*;\s*(-?[\d.]+)\s*\/\s*(-?[\d.]+)/i.exec(line)).find(Boolean);
  if (!spam) throw new Error('spamd answered without a Spam: header');
  const body = split < 0 ? '' : text.slice(split + 4).trim();
  return { score: Number(spam[1]), spamdThreshold: Number(spam[2]), symbols: body ? body.split(',').map((name) => name.trim()).filter(Boolean) : [] };
}
