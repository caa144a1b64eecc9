/**
 * The 7-bit form of a message, for a destination that did not offer 8BITMIME
 * (RFC 6152: 8-bit body bytes go only to a server that did). Each MIME leaf
 * part whose body has a byte over 127 is re-encoded, text as quoted-printable
 * and anything else as base64 (RFC 2045 6), and its Content-Transfer-Encoding
 * says so; every other part, boundary and header stays byte for byte. Header
 * fields are never touched: UTF-8 in them needs SMTPUTF8, which no transfer
 * encoding replaces. mailsplit (the splitter mailparser uses) takes the
 * message apart and joins it again; a part is re-encoded whole, which is fine
 * for the rare destination this is for (the sign stage holds the whole
 * message in memory too).
 */
import { isAscii } from 'node:buffer';
import { Readable, Transform, Writable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Splitter, type MimeNode, type SplitterChunk } from '@zone-eu/mailsplit';

/** `message` with every 8-bit leaf part re-encoded to 7 bits (unchanged when it has none). */
export async function sevenBitForm(message: Buffer): Promise<Buffer> {
  const joined: Buffer[] = [];
  await pipeline(
    Readable.from([message]),
    new Splitter(),
    new EightBitPartEncoder(),
    new Joiner(),
    new Writable({
      write(chunk: Buffer, _encoding, callback) {
        joined.push(chunk);
        callback();
      },
    }),
  );
  return Buffer.concat(joined);
}

/** mailsplit's node/body/data stream with each 8-bit leaf body replaced by its encoded form. */
class EightBitPartEncoder extends Transform {
  /** The leaf part whose body is being collected, and that body so far. */
  private part: { node: MimeNode; body: Buffer[] } | undefined;

  constructor() {
    super({ readableObjectMode: true, writableObjectMode: true });
  }

  override _transform(chunk: SplitterChunk, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (chunk.type === 'body' && this.part) {
      this.part.body.push(chunk.value);
      return callback();
    }
    this.finishPart()
      .then(() => {
        if (chunk.type === 'node' && !chunk.multipart) this.part = { node: chunk, body: [] };
        else this.push(chunk);
        callback();
      })
      .catch(callback);
  }

  override _flush(callback: TransformCallback): void {
    this.finishPart().then(() => callback(), callback);
  }

  private async finishPart(): Promise<void> {
    const part = this.part;
    if (!part) return;
    this.part = undefined;
    const body = Buffer.concat(part.body);
    const sent = isAscii(body) ? body : await sevenBitBody(part.node, body);
    // the joiner writes the part's headers when it gets the node, so the node goes once they are final
    this.push(part.node);
    if (sent.length > 0) this.push({ node: part.node, type: 'body', value: sent });
  }
}

/** The 7-bit form of one leaf part's 8-bit body; the part's headers are changed to match. */
async function sevenBitBody(node: MimeNode, body: Buffer): Promise<Buffer> {
  // RFC 2046 5.2.1: an attached message is never encoded itself; its own parts are (mailsplit leaves attachments unparsed)
  if (node.contentType === 'message/rfc822') return sevenBitForm(body);
  // a part without Content-Type is text/plain (RFC 2045 5.2)
  const encoding = !node.contentType || node.contentType.startsWith('text/') ? 'quoted-printable' : 'base64';
  // decoded first: a quoted-printable part may carry raw 8-bit bytes too (written by a careless mailer)
  const decoded = await through(node.getDecoder(), body);
  // a new Content-Transfer-Encoding goes below the part's other fields (getEncoder would put it on top)
  if (node.headers && node.headers.get('content-transfer-encoding').length === 0) node.headers.add('Content-Transfer-Encoding', encoding, Infinity);
  // getEncoder sets the part's Content-Transfer-Encoding to the new encoding
  return through(node.getEncoder(encoding), decoded);
}

async function through(transform: NodeJS.ReadWriteStream, input: Buffer): Promise<Buffer> {
  const output: Buffer[] = [];
  transform.on('data', (chunk: Buffer) => output.push(chunk));
  await pipeline(Readable.from([input]), transform as Transform);
  return Buffer.concat(output);
}
