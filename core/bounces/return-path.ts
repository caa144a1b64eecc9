/**
 * Return paths that name their message: each message from an account is sent
 * with the envelope sender `bounce+<token>@bounce.<From domain>`, where the
 * token is `<message id>.<expiry day>.<signature>`: the day (base 36, days since
 * 1970) after which the address stops being accepted, and a truncated
 * HMAC-SHA256 of both with a key derived from OUTPOST_SECRET_KEY. The inbound MX
 * listener accepts mail only for tokens that verify and have not expired, so a
 * bounce or complaint is tied to exactly one message and nobody can make up an
 * address that Outpost accepts.
 *
 * Why one address per message and not per recipient (VERP): per-recipient
 * addresses need one SMTP transaction per recipient, where Outpost sends the
 * recipients of one message on one domain in one transaction; a report names
 * its recipient anyway (DSN Final-Recipient, the bounce text, the ARF
 * Original-Rcpt-To), and it is only ever matched against the recipients of the
 * message the token names. Transactional mail is mostly one recipient, whose
 * report needs no matching at all. The delivery cost is nil.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

const DAY_MS = 86_400_000;
/** 10 base32 characters = 50 bits of signature: guessing one over SMTP, a RCPT at a time, is out of reach. */
const SIGNATURE_CHARS = 10;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const TOKEN = /^([0-9a-z]{25})\.([0-9a-z]{1,6})\.([a-z2-7]{10})$/;

export type TokenCheck = { messageId: string } | { problem: 'malformed' | 'forged' | 'expired' };

function base32(bytes: Buffer, length: number): string {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5 && text.length < length) {
      text += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    if (text.length >= length) break;
  }
  return text;
}

export class ReturnPathTokens {
  constructor(
    private readonly key: Buffer,
    /** How long after a message is accepted its return path still takes reports. */
    private readonly validityMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The token of a message created at `createdAt`. */
  token(messageId: string, createdAt: number): string {
    const expiryDay = Math.floor((createdAt + this.validityMs) / DAY_MS).toString(36);
    return `${messageId}.${expiryDay}.${this.signature(messageId, expiryDay)}`;
  }

  /** The envelope sender for a message from `returnPathDomain` (bounce.<From domain>). */
  address(messageId: string, createdAt: number, returnPathDomain: string): string {
    return `bounce+${this.token(messageId, createdAt)}@${returnPathDomain}`;
  }

  /** The message a token names, or why it is refused. Case-insensitive: some MTAs change the local part's case. */
  verify(token: string): TokenCheck {
    const match = TOKEN.exec(token.toLowerCase());
    if (!match) return { problem: 'malformed' };
    const [, messageId, expiryDay, signature] = match as unknown as [string, string, string, string];
    const expected = Buffer.from(this.signature(messageId, expiryDay));
    if (!timingSafeEqual(expected, Buffer.from(signature))) return { problem: 'forged' };
    if ((parseInt(expiryDay, 36) + 1) * DAY_MS <= this.now()) return { problem: 'expired' };
    return { messageId };
  }

  /** The unsubscribe address of a message (List-Unsubscribe's mailto:), on its return-path domain. */
  unsubscribeAddress(messageId: string, createdAt: number, returnPathDomain: string): string {
    return `unsubscribe+${this.token(messageId, createdAt)}@${returnPathDomain}`;
  }

  /** `bounce` or `unsubscribe` and the token, for an address Outpost may have issued; undefined for any other. */
  static parse(address: string): { purpose: 'bounce' | 'unsubscribe'; token: string } | undefined {
    const match = /^(bounce|unsubscribe)\+([^@]+)@/i.exec(address);
    return match ? { purpose: match[1]!.toLowerCase() as 'bounce' | 'unsubscribe', token: match[2]! } : undefined;
  }

  private signature(messageId: string, expiryDay: string): string {
    return base32(createHmac('sha256', this.key).update(`${messageId}.${expiryDay}`).digest(), SIGNATURE_CHARS);
  }
}
