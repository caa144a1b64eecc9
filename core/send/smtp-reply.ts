/**
 * Reading SMTP replies: code, enhanced status (RFC 3463) and text. A 2xx is
 * done; anything else goes to the one classifier (core/bounces/classify.ts),
 * which decides between bounce and retry from all three.
 */
export interface ParsedReply {
  code: number;
  status?: string;
  text: string;
}

/** Parses `550 5.1.1 no such user` (possibly multi-line) into its parts. */
export function parseSmtpReply(reply: string): ParsedReply | undefined {
  const match = /^([2-5]\d\d)(?:[ -]|$)(?:([245]\.\d{1,3}\.\d{1,3})(?:\s|$))?/.exec(reply);
  if (!match) return undefined;
  const text = reply.replace(/\r?\n/g, ' ').trim();
  return match[2] ? { code: Number(match[1]), status: match[2], text } : { code: Number(match[1]), text };
}

/** A 2xx reply: the server took the message (or the recipient). */
export function isSuccess(code: number): boolean {
  return code >= 200 && code < 300;
}
