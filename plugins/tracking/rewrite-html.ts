/**
 * Click and open tracking in an HTML part: every http(s) link of <a> and
 * <area> goes through the click endpoint, and a 1x1 image at the end of the
 * body fetches the open endpoint. The HTML is parsed with parse5 (never with
 * regular expressions) with source locations, and only the href attributes
 * and the image are written into the original text, so everything else stays
 * byte for byte as the sender wrote it. Left untouched: mailto:, tel:, anchors
 * and any other scheme, and links marked `data-outpost-track="off"`.
 */
import { parse, type DefaultTreeAdapterMap } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export interface HtmlTracking {
  /** The tracking URL for a link, or undefined to leave it alone. */
  trackLink?: (url: string) => string | undefined;
  /** The open-tracking image's URL. */
  pixelUrl?: string;
}

/** A change at [start, end) of the original text. */
interface Splice {
  start: number;
  end: number;
  text: string;
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;');
}

function isElement(node: Node): node is Element {
  return 'tagName' in node;
}

function* elements(node: Node): Generator<Element> {
  if (isElement(node)) yield node;
  const children = 'childNodes' in node ? node.childNodes : [];
  for (const child of children) yield* elements(child);
  if (isElement(node) && 'content' in node) yield* elements((node as DefaultTreeAdapterMap['template']).content);
}

export function rewriteHtml(html: string, tracking: HtmlTracking): { html: string; links: number } {
  const document = parse(html, { sourceCodeLocationInfo: true });
  const splices: Splice[] = [];
  let links = 0;
  let body: Element | undefined;
  for (const element of elements(document)) {
    if (element.tagName === 'body') body = element;
    if (!tracking.trackLink || (element.tagName !== 'a' && element.tagName !== 'area')) continue;
    if (element.attrs.some((attribute) => attribute.name === 'data-outpost-track' && attribute.value.toLowerCase() === 'off')) continue;
    const href = element.attrs.find((attribute) => attribute.name === 'href');
    const location = element.sourceCodeLocation?.attrs?.href;
    if (!href || !location || !/^https?:\/\//i.test(href.value.trim())) continue;
    const tracked = tracking.trackLink(href.value.trim());
    if (tracked === undefined) continue;
    splices.push({ start: location.startOffset, end: location.endOffset, text: `href="${escapeAttribute(tracked)}"` });
    links++;
  }
  if (tracking.pixelUrl) {
    const image = `<img src="${escapeAttribute(tracking.pixelUrl)}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;
    // before </body> when the sender wrote one, else at the very end
    const at = body?.sourceCodeLocation?.endTag?.startOffset ?? html.length;
    splices.push({ start: at, end: at, text: image });
  }
  splices.sort((a, b) => b.start - a.start);
  let rewritten = html;
  for (const splice of splices) rewritten = rewritten.slice(0, splice.start) + splice.text + rewritten.slice(splice.end);
  return { html: rewritten, links };
}
