/**
 * Reading SMTP replies: the code decides the outcome (2xx done, 4xx try again,
 * 5xx bounce, RFC 5321 4.2.1); the enhanced status (RFC 3463) is kept for logs.
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

export function classifySmtpReply(code: number): 'delivered' | 'temporary' | 'permanent' {
  if (code >= 200 && code < 300) return 'delivered';
  if (code >= 500) return 'permanent';
  return 'temporary';
}
