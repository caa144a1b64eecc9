/**
 * Tracking applied to a whole message: the MIME tree is split with mailsplit
 * and each inline text/html part (and, when asked, each text/plain part) is
 * decoded, rewritten (rewrite-html.ts, rewrite-text.ts) and encoded again with
 * its own transfer encoding; headers, attachments and every other part pass
 * through untouched. A part in another charset comes out as UTF-8 (its
 * Content-Type says so), since tracking URLs and the parsed HTML are Unicode.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Joiner, Rewriter, Splitter, type MimeNode } from '@zone-eu/mailsplit';
import iconv from 'iconv-lite';
import { rewriteHtml, type HtmlTracking } from './rewrite-html.js';
import { rewriteText } from './rewrite-text.js';

export interface MessageTracking extends HtmlTracking {
  /** The tracking URL for a URL of a text/plain part (text_click_tracking), or undefined to leave text parts alone. */
  trackTextLink?: (url: string) => string | undefined;
}

function isInlineText(node: MimeNode, type: string): boolean {
  return node.contentType === type && node.disposition !== 'attachment';
}

function decode(bytes: Buffer, charset: string | false): string {
  const name = charset || 'utf-8';
  return iconv.encodingExists(name) ? iconv.decode(bytes, name) : bytes.toString('utf8');
}

/** The message with its tracked parts rewritten, and how many links were rewritten. */
export async function trackMessage(raw: Buffer, tracking: MessageTracking): Promise<{ raw: Buffer; links: number }> {
  let links = 0;
  const rewriter = new Rewriter((node: MimeNode) => isInlineText(node, 'text/html') || (tracking.trackTextLink !== undefined && isInlineText(node, 'text/plain')));
  rewriter.on('node', ({ node, decoder, encoder }: { node: MimeNode; decoder: Readable; encoder: NodeJS.WritableStream }) => {
    const chunks: Buffer[] = [];
    decoder.on('data', (chunk: Buffer) => chunks.push(chunk));
    decoder.on('end', () => {
      const original = decode(Buffer.concat(chunks), node.charset);
      const result = node.contentType === 'text/html'
        ? (() => {
            const rewritten = rewriteHtml(original, tracking);
            return { text: rewritten.html, links: rewritten.links };
          })()
        : rewriteText(original, tracking.trackTextLink ?? (() => undefined));
      links += result.links;
      if (node.charset && node.charset.toLowerCase() !== 'utf-8') node.setCharset('utf-8');
      encoder.end(Buffer.from(result.text, 'utf8'));
    });
  });
  const output: Buffer[] = [];
  const joiner = new Joiner();
  joiner.on('data', (chunk: Buffer) => output.push(chunk));
  await pipeline(Readable.from([raw]), new Splitter(), rewriter, joiner);
  return { raw: Buffer.concat(output), links };
}
