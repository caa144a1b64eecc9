/**
 * The public plugin API: everything a plugin imports, from one module, exported
 * by the package as `outpost/plugin`. Built-in plugins (plugins/) import nothing
 * else, so a third party can write whatever they do. A plugin is an object with
 * a name, optional settings and a register() function; register() receives a
 * PluginApi: typed hooks on the pipeline stages, events, and narrow facades on
 * the parts of Outpost a plugin may use (sending domains, accounts, suppression
 * lists, webhooks, metrics, HTTP routes under its own prefix). Nothing here
 * hands out the spool, the scheduler or a store: a plugin can change what it
 * is given and answer with a verdict, never reach around the pipeline.
 */
import type { Logger } from 'pino';
import type { SettingsTable, ValuesOf } from '../../config/setting.js';
import type { DomainDefaults, ScanSettings } from '../domains/domain-record.js';
import type { EventListener, EventName } from '../events.js';
import type { RecipientState } from '../message.js';
import type { ReportResult } from '../status/report.js';
import type { BounceClassification, EngagementDetails, ReportDetails } from '../status/types.js';
import type { SuppressionReason } from '../suppressions/suppressions.js';
import type { HookName, HookOptions, Hooks } from './hooks.js';

export { setting, parse, type Setting, type SettingsTable, type ValuesOf } from '../../config/setting.js';
export { verdict, type Verdict, type Hooks, type HookName, type HookContext, type HookOptions } from './hooks.js';
export type { PipelineMessage, PipelineRecipient, DeliveryOptions, MessageAuthor } from '../message.js';
export type { InboundMessage, InboundRecipient } from '../inbound-message.js';
export type { DeliveryGroup } from '../send/delivery-group.js';
export type { OutpostEvents, AttemptRecord } from '../events.js';
export type { DomainDefaults, ScanSettings } from '../domains/domain-record.js';
export type { SuppressionReason } from '../suppressions/suppressions.js';
export type { BounceReason } from '../../config/bounce-rules.js';
export { classifyBounce, parseReplyLine, type BounceInput, type Classification } from '../bounces/classify.js';
export type { BounceClassification, EngagementDetails, ReportDetails, ScanDetails } from '../status/types.js';
export type { ReportResult } from '../status/report.js';
export type { RecipientState } from '../message.js';

/** A verified sending domain of an account, as a plugin sees it. */
export interface SendingDomain {
  /** Lower-case A-label, e.g. `acme.test`. */
  readonly name: string;
  /** Where this domain's return paths live (`bounce.acme.test`), published as MX to Outpost. */
  readonly returnPathDomain: string;
  /** The domain's defaults for the starred send options (PATCH /v1/domains/:domain). */
  readonly defaults: Readonly<DomainDefaults>;
  /** The active DKIM key's public half; the private key never leaves the core. */
  readonly signingKey: { readonly selector: string; readonly algorithm: 'rsa' | 'ed25519' };
  /**
   * The DKIM-Signature header value (relaxed/relaxed, sha256) for a CRLF-clean
   * header block and body, made with the domain's active key off the event loop.
   * Each present field of `signedHeaders` is signed; those of `options.oversign`
   * that are signed are listed once more in h= (RFC 6376 8.15), so one more of
   * them added on the way breaks the signature.
   */
  signDkim(headerBlock: Buffer, body: Buffer, signedHeaders: readonly string[], options?: { oversign?: readonly string[] }): Promise<string>;
  /**
   * The envelope sender that names this message, `bounce+<token>@<returnPathDomain>`:
   * the token is signed and expires (OUTPOST_RETURN_PATH_VALIDITY after `createdAt`), and
   * the inbound MX listener takes reports for it.
   */
  returnPathFor(message: { id: string; createdAt: number }): string;
  /** The `mailto:` address of List-Unsubscribe for this message: mail to it arrives on the inbound MX as an `unsubscribe` recipient. */
  unsubscribeAddressFor(message: { id: string; createdAt: number }): string;
}

export interface SendingDomains {
  /** The account's verified domain `name`, or undefined (unknown, pending, another account's). */
  verified(accountId: string, name: string): Promise<SendingDomain | undefined>;
  /**
   * The verified domain of `address` (its part after the last @), or throws the
   * registry's domain_not_verified error with its one reply text; a hook that
   * lets it through rejects the message with it (REST 422, SMTP 550 5.7.1).
   */
  requireVerified(accountId: string, address: string): Promise<SendingDomain>;
}

/** An account as a plugin sees it: never its key. */
export interface PluginAccount {
  readonly id: string;
  readonly name: string;
  /** paused: its sending is stopped (bounce or complaint rate over a threshold) until an admin resumes it. */
  readonly status: 'active' | 'disabled' | 'paused';
  /** Content scanning the admin set for the account (PATCH /v1/accounts/:id); a sending domain's own can only make it stricter. */
  readonly scan?: Readonly<ScanSettings>;
}

export interface Accounts {
  get(accountId: string): Promise<PluginAccount | undefined>;
  /** Throws the registry's account_paused (its one reply text) when the account may not send; a hook that lets it through refuses the message. */
  requireSending(accountId: string): Promise<void>;
}

export interface SuppressionEntry {
  readonly address: string;
  readonly reason: SuppressionReason;
  readonly createdAt: number;
}

/** Each account's suppression list (GET /v1/suppressions shows the same). */
export interface Suppressions {
  /** The entry for `address` (compared case-insensitively), or undefined. */
  find(accountId: string, address: string): Promise<SuppressionEntry | undefined>;
  /** Adds `address`; `created` is false when it was listed already (the first reason stays). */
  add(accountId: string, address: string, reason: SuppressionReason, detail?: string): Promise<{ created: boolean }>;
}

/** The return paths Outpost issued. */
export interface ReturnPaths {
  /** The message a token names (the local part after `bounce+`), or undefined when it is forged, malformed or expired. */
  verify(token: string): { messageId: string } | undefined;
}

/** A message Outpost sent, as a report about it needs it: whose it is and to whom it went. */
export interface SentMessage {
  readonly id: string;
  readonly accountId?: string;
  readonly recipients: readonly { readonly address: string; readonly status: RecipientState }[];
}

/**
 * Messages already sent, for plugins that read what comes back (bounces,
 * complaints). A report changes only a recipient of the message named, and only
 * from `delivered` (a bounce) or `delivered`/`bounced` (a complaint); the change
 * is fsynced before the promise resolves, and the events `recipient:bounced`
 * (async) and `recipient:complained` follow.
 */
export interface Messages {
  get(messageId: string): Promise<SentMessage | undefined>;
  recordBounce(messageId: string, recipient: string, bounce: { classification: BounceClassification; description: string; report: ReportDetails }): Promise<ReportResult>;
  recordComplaint(messageId: string, recipient: string, complaint: { feedbackType: string; report: ReportDetails }): Promise<ReportResult>;
  /** An open, a click or an unsubscribe of a recipient (the message log, and the events recipient:opened/clicked/unsubscribed). */
  recordEngagement(messageId: string, recipient: string, kind: 'opened' | 'clicked' | 'unsubscribed', details: EngagementDetails): Promise<ReportResult>;
}

/**
 * Tamper-proof tokens for links in mail: `sign` makes a compact token that
 * carries `data` and an HMAC (a key of the plugin's own, derived from
 * OUTPOST_SECRET_KEY); `verify` gives the data back, or undefined for a token
 * that was changed or made up. Tokens are not encrypted: put no secret in them.
 */
export interface Tokens {
  sign(data: string): string;
  verify(token: string): string | undefined;
}

/** The event types an account's webhooks may subscribe to. */
export type WebhookEventType = 'accepted' | 'delivered' | 'deferred' | 'bounced' | 'complained' | 'opened' | 'clicked' | 'unsubscribed';

export interface Webhooks {
  /**
   * Sends `data` as a `type` event to every webhook of the account that asked for
   * it: signed, retried on failure, never blocking the caller.
   */
  publish(accountId: string, type: WebhookEventType, data: Record<string, unknown>): void;
}

/** Label values of one observation, by label name. */
export type MetricLabels = Record<string, string | number>;

export interface PluginCounter {
  inc(labels?: MetricLabels, value?: number): void;
}
export interface PluginGauge {
  set(value: number, labels?: MetricLabels): void;
}
export interface PluginHistogram {
  observe(value: number, labels?: MetricLabels): void;
}

/**
 * Metrics served by GET /metrics. A name (snake_case) becomes
 * `outpost_plugin_<plugin>_<name>`: `scanned_total` of plugin `virus-scan` is
 * `outpost_plugin_virus_scan_scanned_total`; a name used twice fails at registration.
 */
export interface PluginMetrics {
  counter(name: string, help: string, labelNames?: readonly string[]): PluginCounter;
  gauge(name: string, help: string, labelNames?: readonly string[]): PluginGauge;
  histogram(name: string, help: string, options?: { labelNames?: readonly string[]; buckets?: readonly number[] }): PluginHistogram;
}

/** An HTTP request to one of the plugin's routes: what a handler may read, nothing of the server. */
export interface PluginHttpRequest {
  readonly method: string;
  /** The path below the plugin's prefix, e.g. `/o/abc` for GET /tracking/o/abc. */
  readonly path: string;
  /** Named parts of the route's path (`/o/:token` gives `token`), URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  readonly query: Readonly<Record<string, string | string[]>>;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** The request body, at most 64 KiB (larger requests are answered 413 before the handler runs). */
  readonly body: Buffer;
  /** The client's address. */
  readonly ip: string;
}

export interface PluginHttpResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

export type PluginRouteHandler = (request: PluginHttpRequest) => PluginHttpResponse | Promise<PluginHttpResponse>;

/**
 * HTTP routes on Outpost's HTTP listener, under the plugin's own prefix
 * `/<httpPrefix or plugin name>` (tracking and unsubscribe links point there, below
 * OUTPOST_PUBLIC_URL). A handler that throws is answered 500 with the registry's
 * error shape and logged; it never takes the server down.
 */
export interface PluginHttp {
  /** `/<prefix>`: where this plugin's routes live. */
  readonly prefix: string;
  /** The absolute URL of `path` below the prefix, on OUTPOST_PUBLIC_URL (for links in mail). */
  urlFor(path: string): string;
  get(path: string, handler: PluginRouteHandler): void;
  post(path: string, handler: PluginRouteHandler): void;
}

/** The Outpost-wide settings a plugin may read. */
export interface OutpostIdentity {
  /** OUTPOST_HOSTNAME: the EHLO name and Message-ID domain. */
  readonly hostname: string;
  /** OUTPOST_PUBLIC_URL: base of links that point back to Outpost. */
  readonly publicUrl: string;
}

/** How an error code a plugin registers is answered on each front end. */
export interface ErrorReply {
  /** HTTP status of the REST answer (4xx or 5xx). */
  http: number;
  /** SMTP reply code and enhanced status, e.g. 550 and '5.7.1'. */
  smtpCode: number;
  smtpStatus: string;
}

export interface PluginApi<Settings extends SettingsTable = SettingsTable> {
  /** The plugin's name, as given in its definition. */
  readonly name: string;
  /** The plugin's own settings, read from their variables and checked before register() runs. */
  readonly config: Readonly<ValuesOf<Settings>>;
  /** Outpost-wide settings plugins may need. */
  readonly outpost: OutpostIdentity;
  /** A pino logger tagged with the plugin's name. */
  readonly logger: Logger;
  /** Adds `fn` to the hook `name`; the type of `fn` follows from the name. */
  addHook<K extends HookName>(name: K, fn: Hooks[K], options?: HookOptions): void;
  /** Observes an event; the listener cannot change the outcome. */
  on<E extends EventName>(event: E, listener: EventListener<E>): void;
  /**
   * Adds a stable error code of the plugin's own (snake_case, not one of
   * core/errors.ts) to the registry, so `verdict.reject(..., code)` answers REST
   * clients with it and its HTTP status. Registering the same code again with
   * the same replies is allowed (a restart in one process).
   */
  registerErrorCode(code: string, reply: ErrorReply): void;
  readonly domains: SendingDomains;
  readonly accounts: Accounts;
  readonly suppressions: Suppressions;
  readonly webhooks: Webhooks;
  readonly returnPaths: ReturnPaths;
  readonly messages: Messages;
  /** Signed tokens with a key of this plugin's own. */
  readonly tokens: Tokens;
  readonly metrics: PluginMetrics;
  readonly http: PluginHttp;
}

export interface OutpostPlugin<Settings extends SettingsTable = SettingsTable> {
  /** Unique; lower-case letters, digits and dashes. Shown in logs, hook results and metrics; its HTTP prefix. */
  name: string;
  /** The plugin's settings (see `setting`): each with its variable, default, parser and doc. */
  settings?: Settings;
  /**
   * Where the plugin's HTTP routes live, `/<httpPrefix>/...` (default: its name). A short
   * prefix keeps links in mail short (the tracking plugin uses `t`); two plugins cannot share one.
   */
  httpPrefix?: string;
  register(api: PluginApi<Settings>): void | Promise<void>;
}

/** Identity function that gives a plugin object its types (the settings' values follow from `settings`). */
export function definePlugin<Settings extends SettingsTable = SettingsTable>(plugin: OutpostPlugin<Settings>): OutpostPlugin<Settings> {
  return plugin;
}
