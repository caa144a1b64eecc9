/**
 * The message as the pipeline sees it between submission and the spool: envelope,
 * mutable headers (mailsplit's Headers), body bytes and per-message options.
 * Plugins change it in place; nothing here touches storage or the network.
 */
import { Headers } from '@zone-eu/mailsplit';
import addressparser from 'nodemailer/lib/addressparser';
import { domainOf } from './address.js';
import type { ScanDetails } from './status/details.js';

/** Where a recipient stands. Only queued and deferred are still in the spool. */
export type RecipientState = 'queued' | 'deferred' | 'delivered' | 'bounced' | 'complained' | 'rejected' | 'suppressed' | 'test';

/** States that end a recipient's life in the queue. */
export const FINAL_STATES: ReadonlySet<RecipientState> = new Set(['delivered', 'bounced', 'complained', 'rejected', 'suppressed', 'test']);

/** Per-message delivery settings (the starred send options of the SPEC). */
export interface DeliveryOptions {
  /** Fail the attempt (defer) when the destination does not offer STARTTLS. */
  requireTls?: boolean;
  /** Check the destination certificate when using TLS. */
  verifyCert?: boolean;
  /** Go through every step but delivery; recipients end as `test`. */
  testMode?: boolean;
  /** Add the open-tracking pixel to the HTML part (the tracking plugin). */
  openTracking?: boolean;
  /** Rewrite the HTML part's links through the click-tracking endpoint. */
  clickTracking?: boolean;
  /** Rewrite the text part's URLs too. */
  textClickTracking?: boolean;
  /** Add List-Unsubscribe (one-click, RFC 8058) and its endpoint. */
  unsubscribeTracking?: boolean;
}

/** What a front end (REST, SMTP, code) hands to the pipeline. */
export interface NewMessage {
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

/** The author of a message: the address of its From header. */
export interface MessageAuthor {
  address: string;
  /** Lower-cased domain part: the domain DKIM signs for and DMARC aligns with. */
  domain: string;
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
  readonly source: NewMessage['source'];
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
  /** Scanners' verdicts, written to the message log as `scanned` events when the message is queued. */
  readonly scans: ScanDetails[] = [];
  /** The From value `author` was parsed from, so a changed From is parsed again. */
  private authorParsedFrom: string | undefined;
  private parsedAuthor: MessageAuthor | undefined;

  constructor(id: string, message: NewMessage, createdAt: number) {
    this.id = id;
    this.source = message.source;
    this.accountId = message.accountId;
    this.createdAt = createdAt;
    this.from = message.from;
    this.returnPath = undefined;
    this.recipients = message.to.map((address) => ({ address, domain: domainOf(address), state: 'queued' }));
    const split = splitHeaderAndBody(message.raw);
    this.headers = new Headers(split.header);
    this.body = split.body;
    this.options = { ...message.options };
    this.tags = [...(message.tags ?? [])];
  }

  /**
   * The first address of the From header, parsed once for every plugin that
   * needs it (sender-domain check, DKIM, return path, tracking); undefined when
   * From is missing or names no address.
   */
  get author(): MessageAuthor | undefined {
    const from = this.headers.getFirst('from');
    if (from !== this.authorParsedFrom) {
      this.authorParsedFrom = from;
      const [address] = this.headerAddresses('from');
      this.parsedAuthor = address ? { address, domain: address.slice(address.lastIndexOf('@') + 1).toLowerCase() } : undefined;
    }
    return this.parsedAuthor;
  }

  /** Every address in the header `name` (each occurrence; groups flattened), in order. */
  headerAddresses(name: string): string[] {
    const addresses: string[] = [];
    const collect = (entries: ReturnType<typeof addressparser>): void => {
      for (const entry of entries) {
        if ('group' in entry && entry.group) collect(entry.group);
        else if ('address' in entry && entry.address) addresses.push(entry.address);
      }
    };
    for (const value of this.headers.get(name)) collect(addressparser(value.replace(/^[^:]*:/, '')));
    return addresses;
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

/** Splits at the first empty line (CRLF or bare LF); a message without one is all header. */
function splitHeaderAndBody(raw: Buffer): { header: Buffer; body: Buffer } {
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== 0x0a) continue;
    const next = raw[i + 1] === 0x0d ? i + 2 : i + 1;
    if (raw[next] === 0x0a) return { header: raw.subarray(0, next + 1), body: raw.subarray(next + 1) };
  }
  return { header: raw, body: Buffer.alloc(0) };
}
