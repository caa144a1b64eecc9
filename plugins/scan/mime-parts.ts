/**
 * The leaf parts of a message, decoded (base64, quoted-printable), with their
 * media type and file name, as the built-in scanner needs them: mailsplit
 * splits the message (embedded message/rfc822 parts included) and decodes each
 * part's transfer encoding; nothing here is parsed by hand. The decoded parts
 * are never larger than the message itself. It never changes the message.
 */
import { finished } from 'node:stream/promises';
import { Splitter, type MimeNode, type SplitterChunk } from '@zone-eu/mailsplit';

export interface MimePart {
  /** Lower-case media type; text/plain when the part names none. */
  contentType: string;
  /** The decoded file name the part carries (Content-Disposition or Content-Type name), if any. */
  filename: string | undefined;
  /** Whether the part is an attachment (a file name, or Content-Disposition: attachment) rather than body text. */
  attachment: boolean;
  /** The part's bytes, transfer encoding removed. */
  content: Buffer;
}

interface Leaf {
  node: MimeNode;
  body: Buffer[];
}

/** Every leaf part of `raw`, in message order. */
export async function mimeParts(raw: Buffer): Promise<MimePart[]> {
  const leaves = new Map<MimeNode, Leaf>();
  const splitter = new Splitter();
  splitter.on('data', (chunk: SplitterChunk) => {
    if (chunk.type === 'node') {
      // multipart containers and parsed embedded messages have no body of their own
      if (!chunk.multipart && !chunk.messageNode) leaves.set(chunk, { node: chunk, body: [] });
    } else if (chunk.type === 'body') {
      leaves.get(chunk.node)?.body.push(chunk.value);
    }
  });
  // the whole message is in memory: one write, then wait for the splitter to finish (lighter than a pipeline per message)
  splitter.end(raw);
  await finished(splitter);
  const parts: MimePart[] = [];
  for (const leaf of leaves.values()) parts.push(await decodedPart(leaf));
  return parts;
}

async function decodedPart({ node, body }: Leaf): Promise<MimePart> {
  const filename = node.filename || undefined;
  return {
    contentType: node.contentType || 'text/plain',
    filename,
    attachment: filename !== undefined || node.disposition === 'attachment',
    content: await decoded(node, body),
  };
}

async function decoded(node: MimeNode, body: Buffer[]): Promise<Buffer> {
  const encoded = body.length === 1 ? body[0]! : Buffer.concat(body);
  // Node's base64 decoder skips line breaks and stray characters, as a mail reader does; it is mailsplit's stream decoder without the stream
  if (node.encoding === 'base64') return Buffer.from(encoded.toString('latin1'), 'base64');
  if (node.encoding !== 'quoted-printable') return encoded;
  const out: Buffer[] = [];
  const decoder = node.getDecoder();
  decoder.on('data', (chunk: Buffer) => out.push(chunk));
  decoder.end(encoded);
  await finished(decoder);
  return Buffer.concat(out);
}
