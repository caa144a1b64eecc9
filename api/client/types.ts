/**
 * What the client sends and receives, typed. Request bodies, the message list
 * query and the message JSON are inferred from the zod schemas the server
 * validates with and builds /v1/openapi.json from (type-only imports: nothing
 * of the server is loaded at run time), so a change there fails the client's
 * type check instead of drifting. The views the server builds without a schema
 * (domains, accounts, webhooks, health) are written out here; the end-to-end
 * tests in test/api/client/ read them from a real server.
 * It must never import a value from the server: types only.
 */
import type { Readable } from 'node:stream';
import type { z } from 'zod';
import type { MessageJson, MessageListJson, MessageListQuery, RECIPIENT_STATES } from '../http/messages/schema.js';
import type { CreateAccountBody, UpdateAccountBody } from '../http/routes/accounts.js';
import type { CreateDomainBody, DomainDefaultsBody, RotateDkimBody } from '../http/routes/domains.js';
import type { StatsJson, StatsQueryParams } from '../http/routes/stats.js';
import type { CreateSuppressionBody, suppressionJson } from '../http/routes/suppressions.js';
import type { CreateWebhookBody, WebhookDeliveryJson } from '../http/routes/webhooks.js';
import type { SendFields } from '../http/send/schema.js';

/**
 * An attachment: a local path (streamed from disk, never read whole), or
 * content from memory or a stream with the name the recipient sees.
 * `content_type` is guessed from the file name when left out.
 */
export type AttachmentInput =
  | string
  | { path: string; filename?: string; content_type?: string }
  | { content: Buffer | Uint8Array | string; filename: string; content_type?: string }
  /** `size` in bytes, when known, gives the upload a total for progress (and a Content-Length). */
  | { content: Readable; filename: string; content_type?: string; size?: number };

/** The seed's message: every field of POST /v1/mail/send, `date` also as a Date, attachments as above. */
export type SendMessage = Omit<z.input<typeof SendFields>, 'date'> & {
  date?: Date | string;
  attachments?: AttachmentInput[];
};

/** The answer to a send (SPEC "Sending"). */
export interface Receipt {
  id: string;
  accepted_recipients: number;
  rejected_recipients: number;
}

export interface UploadProgress {
  /** Bytes of the request body handed to the socket so far. */
  sentBytes: number;
  /** The whole body; undefined when a stream of unknown size is attached. */
  totalBytes: number | undefined;
}

export interface SendOptions {
  /** One per logical send; reused by every retry so the message goes out once. Default: a random UUID. */
  idempotencyKey?: string;
  /** Called as the upload of a multipart send advances (a JSON send reports once, at its end). */
  onUploadProgress?: (progress: UploadProgress) => void;
  signal?: AbortSignal;
}

export type RecipientStatus = (typeof RECIPIENT_STATES)[number];
export type Message = MessageJson;
export type MessagePage = MessageListJson;
export type Recipient = MessageJson['recipients'][number];
export type MessageEvent = MessageJson['events'][number];

/** GET /v1/mail/messages filters: the schema's fields, with times also as Date or epoch ms and limit as a number. */
export type MessageQuery = Omit<z.input<typeof MessageListQuery>, 'since' | 'until' | 'limit' | 'cursor'> & {
  since?: Date | string | number;
  until?: Date | string | number;
  limit?: number;
};

/** GET /v1/stats: the range (default: the last 30 days, by day), and all mail or one tag or one sending domain. */
export type StatsQuery = Omit<z.input<typeof StatsQueryParams>, 'from' | 'to'> & {
  from?: Date | string | number;
  to?: Date | string | number;
};
/** Counts per hour or day and over the range: accepted, delivered, deferred, bounced (hard, soft, by reason), complained, opened, clicked, unsubscribed, suppressed. */
export type Stats = StatsJson;

export type CreateDomain = Omit<z.input<typeof CreateDomainBody>, 'domain'>;
export type DomainDefaults = z.input<typeof DomainDefaultsBody>;
export type RotateDkim = z.input<typeof RotateDkimBody>;
export type CreateSuppression = z.input<typeof CreateSuppressionBody>;
export type CreateWebhook = z.input<typeof CreateWebhookBody>;
/** One delivery of an event to a webhook: pending (retries left), delivered or failed, with its attempts and last error. */
export type WebhookDelivery = z.infer<typeof WebhookDeliveryJson>;
export type CreateAccount = z.input<typeof CreateAccountBody>;
export type UpdateAccount = z.input<typeof UpdateAccountBody>;

export type Suppression = ReturnType<typeof suppressionJson>;

/** One record of a domain's dns_records, with the result of the last verification. */
export interface DnsRecordView {
  purpose: 'ownership' | 'spf' | 'dkim' | 'dmarc' | 'return_path_mx' | 'return_path_spf' | (string & {});
  type: 'TXT' | 'MX';
  name: string;
  value: string;
  priority?: number;
  status: 'ok' | 'missing' | 'wrong' | 'unchecked';
  /** When not ok: what the lookup found instead, and why it does not do. */
  found?: string[];
  reason?: string;
}

export interface Domain {
  domain: string;
  status: 'pending' | 'verified';
  created_at: string | null;
  verified_at: string | null;
  last_checked_at: string | null;
  dkim: { selector: string; algorithm: string; next_selector: string | null };
  defaults: DomainDefaults;
  dns_records: DnsRecordView[];
}

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  created_at: string;
}

/** The answer to creating a webhook: the only time its signing secret is shown. */
export interface WebhookWithSecret extends Webhook {
  secret: string;
}

export interface Account {
  id: string;
  name: string;
  status: 'active' | 'disabled' | 'paused';
  paused_reason?: string;
  created_at: string;
  key_rotated_at: string;
}

/** The answer to creating an account or rotating its key: the only time the key is shown. */
export interface AccountWithKey extends Account {
  api_key: string;
}

export interface AccountHealth {
  status: Account['status'];
  paused_reason?: string;
  window_hours: number;
  delivered: number;
  bounced: number;
  hard_bounces: number;
  complaints: number;
  bounce_rate: number;
  complaint_rate: number;
  pause_bounce_rate: number;
  pause_complaint_rate: number;
  min_sent: number;
}

export interface ServerHealth {
  status: 'ok' | 'unavailable';
  failing?: string[];
  queue: { queued: number; deferred: number; deliveries_in_flight: number };
}

/** A list answer of the API. */
export interface Items<T> {
  items: T[];
}
