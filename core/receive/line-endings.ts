/**
 * Outbound SMTP smuggling defence (the idea of Postfix's
 * cleanup_replace_stray_cr_lf): after this, every CR and LF in a message is part
 * of a CRLF pair, so no destination, however lenient about line ends, can read
 * an end-of-data inside the body that our dot-stuffing did not escape.
 * A bare LF becomes CRLF (it is a Unix line end: the line break was meant);
 * a bare CR becomes a space (it has no meaning in a message), as in Postfix.
 */
const CR = 0x0d;
const LF = 0x0a;
const SPACE = 0x20;

/** Returns `raw` itself when it is already clean, so the common case copies nothing. */
export function replaceStrayCrLf(raw: Buffer): Buffer {
  let stray = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i];
    if (byte === CR) {
      if (raw[i + 1] === LF) i++;
      else stray++;
    } else if (byte === LF) stray++;
  }
  if (stray === 0) return raw;
  const clean = Buffer.allocUnsafe(raw.length + stray);
  let out = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === CR) {
      if (raw[i + 1] === LF) {
        clean[out++] = CR;
        clean[out++] = LF;
        i++;
      } else clean[out++] = SPACE;
    } else if (byte === LF) {
      clean[out++] = CR;
      clean[out++] = LF;
    } else clean[out++] = byte;
  }
  return clean.subarray(0, out);
}
