/**
 * The one error registry. Every error Outpost raises on purpose is an
 * OutpostError with a stable snake_case code, made by outpostError(); the table
 * below maps each code to the HTTP status and the SMTP reply (code + enhanced
 * status) that every front end uses, so REST and SMTP always agree on what a
 * failure means. Plugins add codes of their own through their API
 * (registerErrorCode); they never reuse or change core's. Code tells errors
 * apart (isOutpostError(error, 'not_found')), never a subclass.
 */

/** How one error code is reported on each front. */
export interface ReplyMapping {
  http: number;
  smtpCode: number;
  smtpStatus: string;
  /** The text when the code is raised without one (it says what happened and what to do). */
  message?: string;
}

export const ERROR_REPLIES = {
  config_invalid: { http: 500, smtpCode: 451, smtpStatus: '4.3.5' },
  port_unavailable: { http: 500, smtpCode: 421, smtpStatus: '4.3.0' },
  message_invalid: { http: 400, smtpCode: 550, smtpStatus: '5.6.0' },
  message_rejected: { http: 422, smtpCode: 550, smtpStatus: '5.7.1' },
  message_deferred: { http: 503, smtpCode: 451, smtpStatus: '4.3.0' },
  message_too_large: { http: 413, smtpCode: 552, smtpStatus: '5.3.4' },
  no_valid_recipients: { http: 400, smtpCode: 554, smtpStatus: '5.5.1' },
  storage_failed: { http: 503, smtpCode: 451, smtpStatus: '4.3.0' },
  shutting_down: { http: 503, smtpCode: 421, smtpStatus: '4.3.2', message: 'Outpost is shutting down; retry in a moment (on another node if you run several)' },
  plugin_failed: { http: 503, smtpCode: 451, smtpStatus: '4.3.0' },
  plugin_invalid: { http: 500, smtpCode: 451, smtpStatus: '4.3.5' },
  invalid_request: { http: 400, smtpCode: 501, smtpStatus: '5.5.4' },
  // HTTP requests answered before any route runs (api/http); the SMTP replies are the nearest, never sent.
  method_not_allowed: { http: 405, smtpCode: 502, smtpStatus: '5.5.1' },
  not_implemented: { http: 501, smtpCode: 502, smtpStatus: '5.5.1' },
  headers_too_large: { http: 431, smtpCode: 500, smtpStatus: '5.5.2' },
  unauthorized: { http: 401, smtpCode: 535, smtpStatus: '5.7.8' },
  forbidden: { http: 403, smtpCode: 550, smtpStatus: '5.7.1' },
  not_found: { http: 404, smtpCode: 550, smtpStatus: '5.1.1' },
  unsupported_media_type: { http: 415, smtpCode: 554, smtpStatus: '5.6.1' },
  rate_limited: { http: 429, smtpCode: 451, smtpStatus: '4.7.1' },
  queue_full: { http: 503, smtpCode: 452, smtpStatus: '4.3.1' },
  domain_exists: { http: 409, smtpCode: 550, smtpStatus: '5.7.1' },
  domain_verified_elsewhere: { http: 409, smtpCode: 550, smtpStatus: '5.7.1' },
  domain_not_verified: { http: 422, smtpCode: 550, smtpStatus: '5.7.1' },
  account_paused: { http: 403, smtpCode: 550, smtpStatus: '5.7.1' },
  // Content scanning (the scan plugins): refused messages are never queued.
  spam_detected: { http: 422, smtpCode: 550, smtpStatus: '5.7.1' },
  malware_detected: { http: 422, smtpCode: 554, smtpStatus: '5.7.1' },
  attachment_refused: { http: 422, smtpCode: 554, smtpStatus: '5.7.1' },
  scanner_unavailable: { http: 503, smtpCode: 451, smtpStatus: '4.7.1' },
  attachment_path_refused: { http: 400, smtpCode: 550, smtpStatus: '5.6.0' },
  header_injection: { http: 400, smtpCode: 550, smtpStatus: '5.6.0' },
  too_many_recipients: { http: 413, smtpCode: 452, smtpStatus: '4.5.3' },
  too_many_attachments: { http: 413, smtpCode: 552, smtpStatus: '5.3.4' },
  attachment_too_large: { http: 413, smtpCode: 552, smtpStatus: '5.3.4' },
  idempotency_in_progress: { http: 409, smtpCode: 451, smtpStatus: '4.3.0' },
  idempotency_key_reused: { http: 422, smtpCode: 554, smtpStatus: '5.5.0' },
  // SMTP submission (core/submission/): session-level refusals with no REST counterpart get the closest HTTP status.
  auth_required: { http: 401, smtpCode: 530, smtpStatus: '5.7.0' },
  tls_required: { http: 403, smtpCode: 538, smtpStatus: '5.7.11' },
  auth_throttled: { http: 429, smtpCode: 454, smtpStatus: '4.7.0' },
  sender_address_refused: { http: 400, smtpCode: 553, smtpStatus: '5.1.7' },
  recipient_address_refused: { http: 400, smtpCode: 553, smtpStatus: '5.1.3' },
  unsafe_data_bytes: { http: 400, smtpCode: 550, smtpStatus: '5.5.2' },
  too_many_connections: { http: 429, smtpCode: 421, smtpStatus: '4.7.0' },
  too_many_unauthenticated_commands: { http: 429, smtpCode: 421, smtpStatus: '4.7.0' },
  session_timeout: { http: 408, smtpCode: 421, smtpStatus: '4.4.2' },
  // The inbound MX listener (api/mx): it takes mail only for what Outpost sent, so it is never a relay.
  relay_refused: { http: 403, smtpCode: 550, smtpStatus: '5.7.1' },
  return_path_unknown: { http: 404, smtpCode: 550, smtpStatus: '5.1.1' },
  // Delivery (core/send/): why an attempt reached no server's reply. Recorded in the recipient's log as
  // `<status> <text>` (no server spoke, so no reply code); a 5xx entry bounces the recipient, a 4xx one defers it.
  // The HTTP statuses only say how a REST client would see the same problem.
  destination_not_found: { http: 422, smtpCode: 550, smtpStatus: '5.1.2' },
  destination_refuses_mail: { http: 422, smtpCode: 556, smtpStatus: '5.1.10' },
  destination_unusable: { http: 422, smtpCode: 550, smtpStatus: '5.4.4' },
  destination_lookup_failed: { http: 503, smtpCode: 451, smtpStatus: '4.4.3' },
  destination_unreachable: { http: 503, smtpCode: 451, smtpStatus: '4.4.1' },
  destination_without_tls: { http: 503, smtpCode: 454, smtpStatus: '4.7.10' },
  // RFC 6531 3.2: a non-ASCII address or UTF-8 header fields go only to a server that offered SMTPUTF8 (5.6.7, as Postfix says it)
  destination_without_smtputf8: { http: 422, smtpCode: 550, smtpStatus: '5.6.7' },
  delivery_cancelled: { http: 503, smtpCode: 451, smtpStatus: '4.3.2', message: 'delivery cancelled (shutting down); it is tried again at the next start' },
} as const satisfies Record<string, ReplyMapping>;

export type ErrorCode = keyof typeof ERROR_REPLIES;

/** Codes plugins registered, with the plugin that did. */
const pluginReplies = new Map<string, ReplyMapping & { plugin: string }>();

/** True for a code of the registry, core's or a plugin's. */
export function isErrorCode(code: string): boolean {
  return code in ERROR_REPLIES || pluginReplies.has(code);
}

function replyMappingOf(code: string): ReplyMapping {
  return (ERROR_REPLIES as Record<string, ReplyMapping>)[code] ?? pluginReplies.get(code) ?? ERROR_REPLIES.message_rejected;
}

/**
 * Adds a plugin's own code. It must be snake_case, not core's, and not another
 * plugin's; the same plugin registering it again with the same replies is a no-op
 * (Outpost started twice in one process).
 */
export function registerErrorCode(plugin: string, code: string, reply: ReplyMapping): void {
  const fail = (problem: string): never => {
    throw outpostError('plugin_invalid', `plugin ${plugin}: error code "${code}" ${problem}`);
  };
  if (!/^[a-z][a-z0-9_]{2,63}$/.test(code)) fail('must be snake_case (a-z, 0-9, _; 3-64 characters)');
  if (code in ERROR_REPLIES) fail('is one of Outpost\'s own codes; choose a name of the plugin\'s own');
  if (!Number.isInteger(reply.http) || reply.http < 400 || reply.http > 599) fail(`needs an HTTP status 400-599, got ${reply.http}`);
  const smtpClass = Math.floor(reply.smtpCode / 100);
  if ((smtpClass !== 4 && smtpClass !== 5) || !new RegExp(`^${smtpClass}\\.\\d{1,3}\\.\\d{1,3}$`).test(reply.smtpStatus)) {
    fail(`needs a 4xx or 5xx SMTP code with a matching x.y.z status, got ${reply.smtpCode} ${reply.smtpStatus}`);
  }
  const known = pluginReplies.get(code);
  if (known && (known.plugin !== plugin || known.http !== reply.http || known.smtpCode !== reply.smtpCode || known.smtpStatus !== reply.smtpStatus)) {
    fail(`is already registered by plugin ${known.plugin} with other replies`);
  }
  pluginReplies.set(code, { http: reply.http, smtpCode: reply.smtpCode, smtpStatus: reply.smtpStatus, plugin });
}

/** An SMTP reply: code, enhanced status and one line of text. */
export interface SmtpReply {
  code: number;
  status: string;
  text: string;
}

/** What an error may carry besides its code and message. */
export interface ErrorExtras {
  cause?: unknown;
  /** Fields a request got wrong (REST: the `details` of the answer). */
  details?: unknown;
  /** For rate limits and lockouts: seconds until a retry can succeed (REST: Retry-After). */
  retryAfterSeconds?: number;
  /** A plugin's own reply, which wins over the registry's (a verdict's `550 5.7.1 spam`). */
  reply?: SmtpReply;
}

/** The one error class: a stable code, a message that says what is wrong and how to fix it. */
export class OutpostError extends Error {
  /** A code of ERROR_REPLIES, or one a plugin registered. */
  readonly code: string;
  readonly details: unknown;
  readonly retryAfterSeconds: number | undefined;
  /** A reply of its own (a plugin's verdict), which smtpReply() gives instead of the registry's. */
  readonly reply: SmtpReply | undefined;

  constructor(code: string, message: string, extras: ErrorExtras = {}) {
    super(message, extras.cause === undefined ? undefined : { cause: extras.cause });
    this.name = 'OutpostError';
    this.code = code;
    this.details = extras.details;
    this.retryAfterSeconds = extras.retryAfterSeconds;
    this.reply = extras.reply;
  }

  get httpStatus(): number {
    return replyMappingOf(this.code).http;
  }

  /** The SMTP reply line for this error, e.g. `550 5.7.1 spam detected`. */
  smtpReply(): SmtpReply {
    if (this.reply) return this.reply;
    const mapping = replyMappingOf(this.code);
    return { code: mapping.smtpCode, status: mapping.smtpStatus, text: this.message };
  }
}

/**
 * Makes the error for `code`; `message` may be left out for codes whose registry
 * entry has a standing text (shutting_down).
 */
export function outpostError(code: ErrorCode, message?: string, extras: ErrorExtras = {}): OutpostError {
  const text = message ?? (ERROR_REPLIES[code] as ReplyMapping).message ?? code;
  return new OutpostError(code, text, extras);
}

/**
 * A plugin refused the message with its own SMTP-style reply, which reaches an
 * SMTP client as is; REST answers with `code` (a registered one) or, by default,
 * message_rejected for a 5xx reply and message_deferred for a 4xx one.
 */
export function pluginRefusal(reply: SmtpReply, plugin: string, code?: string): OutpostError {
  return new OutpostError(code ?? (reply.code >= 500 ? 'message_rejected' : 'message_deferred'), `${reply.text} (${plugin})`, { reply });
}

/** True for an OutpostError, of `code` when given. */
export function isOutpostError(error: unknown, code?: ErrorCode | (string & {})): error is OutpostError {
  return error instanceof OutpostError && (code === undefined || error.code === code);
}
