/**
 * The message as the pipeline sees it between submission and the spool: envelope,
 * mutable headers (mailsplit's Headers), body bytes and per-message options.
 * Plugins change it in place; nothing here touches storage or the network.
 */
import { Headers } from '@zone-eu/mailsplit';
import { InvalidMessageError } from './errors.js';

/** Where a recipient stands. Only queued and deferred are still in the spool. */
export type RecipientState = 'queued' | 'deferred' | 'delivered' | 'bounced' | 'rejected' | 'suppressed' | 'test';

/** States that end a recipient's life in the queue. */
export const FINAL_STATES: ReadonlySet<RecipientState> = new Set(['delivered', 'bounced', 'rejected', 'suppressed', 'test']);

/** Per-message delivery settings (the starred send options of the SPEC). */
export interface DeliveryOptions {
  /** Fail the attempt (defer) when the destination does not offer STARTTLS. */
  requireTls?: boolean;
  /** Check the destination certificate when using TLS. */
  verifyCert?: boolean;
  /** Go through every step but delivery; recipients end as `test`. */
  testMode?: boolean;
}

/** What a front end (REST, SMTP, code) hands to the pipeline. */
export interface Submission {
  /** Envelope sender (MAIL FROM); '' is the null sender used by bounces. */
  from: string;
  /** Envelope recipients (RCPT TO). */
  to: string[];
  /** The RFC 5322 message: header block, blank line, body. */
  raw: Buffer;
  accountId?: string;
  options?: DeliveryOptions;
  tags?: string[];
  /** Which front end received it; plugins may treat them differently. */
  source: 'api' | 'smtp' | 'internal';
}

export interface PipelineRecipient {
  address: string;
  /** Lower-cased domain part, the unit of MX routing. */
  domain: string;
  state: 'queued' | 'rejected' | 'suppressed' | 'test';
  /** Why a recipient was rejected or suppressed, shown in its status. */
  reason?: string;
}

/** One plugin's verdict, kept like Haraka's results object for logs and debugging. */
export interface HookResult {
  hook: string;
  plugin: string;
  action: 'continue' | 'reject' | 'defer';
  text?: string;
  ms: number;
}

export class PipelineMessage {
  readonly id: string;
  readonly source: Submission['source'];
  readonly accountId: string | undefined;
  readonly createdAt: number;
  /** Envelope sender as submitted (shown in status and logs). */
  from: string;
  /** Envelope sender used for delivery when set (a bounce address that names the message). */
  returnPath: string | undefined;
  recipients: PipelineRecipient[];
  headers: Headers;
  body: Buffer;
  options: DeliveryOptions;
  tags: string[];
  readonly results: HookResult[] = [];

  constructor(id: string, submission: Submission, createdAt: number) {
    this.id = id;
    this.source = submission.source;
    this.accountId = submission.accountId;
    this.createdAt = createdAt;
    this.from = submission.from;
    this.returnPath = undefined;
    this.recipients = submission.to.map((address) => ({ address, domain: domainOf(address), state: 'queued' }));
    const split = splitHeaderAndBody(submission.raw);
    this.headers = new Headers(split.header);
    this.body = split.body;
    this.options = { ...submission.options };
    this.tags = [...(submission.tags ?? [])];
  }

  /** Takes a recipient out of delivery; it keeps a status saying why. */
  setRecipientState(address: string, state: 'rejected' | 'suppressed' | 'test', reason: string): void {
    for (const recipient of this.recipients) {
      if (recipient.address.toLowerCase() === address.toLowerCase()) {
        recipient.state = state;
        recipient.reason = reason;
      }
    }
  }

  /** Recipients that will go to the queue. */
  get deliverable(): PipelineRecipient[] {
    return this.recipients.filter((recipient) => recipient.state === 'queued');
  }

  /** Replaces headers and body with a whole new RFC 5322 message. */
  replaceContent(raw: Buffer): void {
    const split = splitHeaderAndBody(raw);
    this.headers = new Headers(split.header);
    this.body = split.body;
  }

  /** Header block + body as they will be stored and sent. */
  toBuffer(): Buffer {
    return Buffer.concat([this.headers.build(), this.body]);
  }
}

/** Lower-cased domain of an address; throws for an address without one. */
export function domainOf(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1 || at === address.length - 1) {
    throw new InvalidMessageError(`"${address}" is not an email address (expected local@domain)`);
  }
  return address.slice(at + 1).toLowerCase();
}

/** Splits at the first empty line (CRLF or bare LF); a message without one is all header. */
function splitHeaderAndBody(raw: Buffer): { header: Buffer; body: Buffer } {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    const next = raw[i + 1] === 0x0d ? i + 2 : i + 1;
    if (raw[next] === 0x0a) return { header: raw.subarray(0, next + 1), body: raw.subarray(next + 1) };
  }
  return { header: raw, body: Buffer.alloc(0) };
}
