/**
 * The page a GET of an unsubscribe link shows: plain, accessible HTML with no
 * external assets (no fonts, images or scripts, so it renders anywhere and
 * leaks nothing), one sentence and one button that POSTs back to the same URL.
 * A GET never unsubscribes: mail scanners follow every link.
 */

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

const STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}button{font:inherit;padding:.6rem 1.2rem;border:2px solid #1a1a1a;border-radius:.4rem;background:#fff;cursor:pointer}button:focus{outline:3px solid #0b57d0;outline-offset:2px}';

function page(title: string, body: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(title)}</title><style>${STYLE}</style></head><body><main>${body}</main></body></html>\n`;
}

/** The confirmation page for `address`; the form posts to the page's own URL. */
export function confirmationPage(address: string): string {
  return page('Unsubscribe', `<h1>Unsubscribe</h1><p>Stop sending mail to <strong>${escape(address)}</strong>?</p><form method="post"><input type="hidden" name="confirm" value="yes"><button type="submit">Unsubscribe</button></form>`);
}

export function unsubscribedPage(address: string): string {
  return page('Unsubscribed', `<h1>Unsubscribed</h1><p role="status"><strong>${escape(address)}</strong> will get no more mail from this sender.</p>`);
}
