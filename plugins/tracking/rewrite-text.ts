/**
 * Click tracking in a text part (text_click_tracking): every http(s) URL the
 * text shows goes through the click endpoint. URLs are found with linkify-it
 * (the maintained URL finder markdown-it uses), not a home-made pattern; the
 * rest of the text is left as it is.
 */
import { LinkifyIt } from 'linkify-it';

const linkify = new LinkifyIt();

export function rewriteText(text: string, trackLink: (url: string) => string | undefined): { text: string; links: number } {
  const matches = (linkify.match(text) ?? []).filter((match) => /^https?:$/i.test(match.schema) || match.schema === '');
  let rewritten = '';
  let last = 0;
  let links = 0;
  for (const match of matches) {
    // a bare "example.com" has no scheme written: leave what the sender did not write as a link
    if (!/^https?:\/\//i.test(match.raw)) continue;
    const tracked = trackLink(match.url);
    if (tracked === undefined) continue;
    rewritten += text.slice(last, match.index) + tracked;
    last = match.lastIndex;
    links++;
  }
  return { text: rewritten + text.slice(last), links };
}
