/**
 * What the tracking plugin's tokens carry, and the URLs built from them. A
 * token is signed with the plugin's own key (PluginApi.tokens) and holds the
 * message, the recipient (when the message has exactly one) and, for a click,
 * the URL it was made for: a click can only ever redirect to that URL, and
 * nothing has to be looked up to answer it.
 */
import type { PluginApi } from 'outpost/plugin';

export type Tracked =
  | { kind: 'open'; messageId: string; recipient: string | undefined }
  | { kind: 'click'; messageId: string; recipient: string | undefined; url: string }
  | { kind: 'unsubscribe'; messageId: string; recipient: string };

const KIND_LETTERS = { open: 'o', click: 'c', unsubscribe: 'u' } as const;

export class TrackingLinks {
  constructor(private readonly api: Pick<PluginApi, 'tokens' | 'http'>) {}

  /** The absolute URL of `tracked` on OUTPOST_PUBLIC_URL: /t/o/<token>, /t/c/<token>, /t/u/<token>. */
  urlFor(tracked: Tracked): string {
    const fields = [tracked.messageId, tracked.recipient ?? '', ...(tracked.kind === 'click' ? [tracked.url] : [])];
    return this.api.http.urlFor(`/${KIND_LETTERS[tracked.kind]}/${this.api.tokens.sign(JSON.stringify([tracked.kind, ...fields]))}`);
  }

  /** What a token of `kind` says, or undefined for one that was changed, made up, or made for another kind. */
  read(kind: Tracked['kind'], token: string): Tracked | undefined {
    const data = this.api.tokens.verify(token);
    if (data === undefined) return undefined;
    let fields: unknown;
    try {
      fields = JSON.parse(data);
    } catch {
      return undefined;
    }
    if (!Array.isArray(fields) || fields[0] !== kind || !fields.every((field) => typeof field === 'string')) return undefined;
    const [, messageId, recipient, url] = fields as string[];
    if (kind === 'click') return url ? { kind, messageId: messageId!, recipient: recipient || undefined, url } : undefined;
    if (kind === 'unsubscribe') return recipient ? { kind, messageId: messageId!, recipient } : undefined;
    return { kind, messageId: messageId!, recipient: recipient || undefined };
  }
}
