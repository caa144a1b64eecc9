/**
 * The one error registry. Every error Outpost raises on purpose is an OutpostError
 * subclass with a stable snake_case code; the table below maps each code to the
 * HTTP status and the SMTP reply (code + enhanced status) that both fronts use,
 * so REST and SMTP always agree on what a failure means.
 */

/** How one error code is reported on each front. */
interface ReplyMapping {
  http: number;
  smtpCode: number;
  smtpStatus: string;
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
  shutting_down: { http: 503, smtpCode: 421, smtpStatus: '4.3.2' },
  plugin_failed: { http: 503, smtpCode: 451, smtpStatus: '4.3.0' },
  plugin_invalid: { http: 500, smtpCode: 451, smtpStatus: '4.3.5' },
  invalid_request: { http: 400, smtpCode: 501, smtpStatus: '5.5.4' },
  unauthorized: { http: 401, smtpCode: 535, smtpStatus: '5.7.8' },
  forbidden: { http: 403, smtpCode: 550, smtpStatus: '5.7.1' },
  not_found: { http: 404, smtpCode: 550, smtpStatus: '5.1.1' },
  unsupported_media_type: { http: 415, smtpCode: 554, smtpStatus: '5.6.1' },
  rate_limited: { http: 429, smtpCode: 451, smtpStatus: '4.7.1' },
  queue_full: { http: 503, smtpCode: 452, smtpStatus: '4.3.1' },
  domain_exists: { http: 409, smtpCode: 550, smtpStatus: '5.7.1' },
  domain_not_verified: { http: 422, smtpCode: 550, smtpStatus: '5.7.1' },
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
} as const satisfies Record<string, ReplyMapping>;

export type ErrorCode = keyof typeof ERROR_REPLIES;

/** Base class: a stable code, a message that says what is wrong and how to fix it. */
export class OutpostError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
  get httpStatus(): number {
    return ERROR_REPLIES[this.code].http;
  }
  /** The SMTP reply line for this error, e.g. `550 5.7.1 spam detected`. */
  smtpReply(): { code: number; status: string; text: string } {
    const mapping = ERROR_REPLIES[this.code];
    return { code: mapping.smtpCode, status: mapping.smtpStatus, text: this.message };
  }
}

/** A setting is missing or malformed; the message names the variable. */
export class ConfigError extends OutpostError {
  constructor(message: string) {
    super('config_invalid', message);
  }
}

/** A listener could not bind its port. */
export class PortUnavailableError extends OutpostError {
  constructor(message: string, cause: unknown) {
    super('port_unavailable', message, { cause });
  }
}

/** The submitted message itself is malformed (no recipients, unparsable address...). */
export class InvalidMessageError extends OutpostError {
  constructor(message: string) {
    super('message_invalid', message);
  }
}

/** The message is larger than the configured limit. */
export class MessageTooLargeError extends OutpostError {
  constructor(message: string) {
    super('message_too_large', message);
  }
}

/** Every recipient was refused, so there is nothing to queue. */
export class NoValidRecipientsError extends OutpostError {
  constructor(message: string) {
    super('no_valid_recipients', message);
  }
}

/**
 * A plugin refused the message with its own SMTP-style reply. The reply a plugin
 * gave wins over the registry default, so `550 5.7.1 spam` reaches the client as is.
 */
export class MessageRejectedError extends OutpostError {
  readonly reply: { code: number; status: string; text: string };
  constructor(reply: { code: number; status: string; text: string }, plugin: string, code?: ErrorCode) {
    super(code ?? (reply.code >= 500 ? 'message_rejected' : 'message_deferred'), `${reply.text} (${plugin})`);
    this.reply = reply;
  }
  override smtpReply(): { code: number; status: string; text: string } {
    return this.reply;
  }
}

/** The store could not make a write durable; the submission must not be acknowledged. */
export class StorageError extends OutpostError {
  constructor(message: string, cause?: unknown) {
    super('storage_failed', message, { cause });
  }
}

/** The server is stopping and takes no new work. */
export class ShuttingDownError extends OutpostError {
  constructor() {
    super('shutting_down', 'Outpost is shutting down; retry in a moment (on another node if you run several)');
  }
}

/** A hook threw or timed out: a temporary failure, never a silent pass. */
export class PluginFailedError extends OutpostError {
  constructor(message: string, cause?: unknown) {
    super('plugin_failed', message, { cause });
  }
}

/** A plugin registered something the hook map does not allow. */
export class PluginInvalidError extends OutpostError {
  constructor(message: string) {
    super('plugin_invalid', message);
  }
}

/** A request is malformed; `details` names the fields (REST: 400). */
export class InvalidRequestError extends OutpostError {
  constructor(message: string, readonly details?: unknown) {
    super('invalid_request', message);
  }
}

/** No or an unknown credential (REST: 401, SMTP: 535). */
export class UnauthorizedError extends OutpostError {
  constructor(message: string) {
    super('unauthorized', message);
  }
}

/** A valid credential that may not do this (disabled account, not an admin key). */
export class ForbiddenError extends OutpostError {
  constructor(message: string) {
    super('forbidden', message);
  }
}

/** Nothing with this id for this account (another account's id answers the same). */
export class NotFoundError extends OutpostError {
  constructor(message: string) {
    super('not_found', message);
  }
}

export class UnsupportedMediaTypeError extends OutpostError {
  constructor(message: string) {
    super('unsupported_media_type', message);
  }
}

/** Too many requests; `retryAfterSeconds` goes into Retry-After. */
export class RateLimitedError extends OutpostError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super('rate_limited', message);
  }
}

/** The queue is over its size guard: submissions wait until it drains. */
export class QueueFullError extends OutpostError {
  constructor(message: string) {
    super('queue_full', message);
  }
}

/** The domain is already registered (by this or another account). */
export class DomainExistsError extends OutpostError {
  constructor(message: string) {
    super('domain_exists', message);
  }
}

/** The sender's domain is not a verified domain of this account (REST 422, SMTP 550 5.7.1). */
export class DomainNotVerifiedError extends OutpostError {
  constructor(message: string) {
    super('domain_not_verified', message);
  }
}

/** An attachment was given as a file path: the server never reads client paths, the client uploads the content. */
export class AttachmentPathRefusedError extends OutpostError {
  constructor(message: string) {
    super('attachment_path_refused', message);
  }
}

/** A value bound for a header holds CR or LF, which would end the header and start another. */
export class HeaderInjectionError extends OutpostError {
  constructor(message: string) {
    super('header_injection', message);
  }
}

/** More recipients than one message may have (REST 413; SMTP 452 4.5.3 as RFC 5321 says). */
export class TooManyRecipientsError extends OutpostError {
  constructor(message: string) {
    super('too_many_recipients', message);
  }
}

export class TooManyAttachmentsError extends OutpostError {
  constructor(message: string) {
    super('too_many_attachments', message);
  }
}

/** The attachments of one message are larger together than the configured limit. */
export class AttachmentTooLargeError extends OutpostError {
  constructor(message: string) {
    super('attachment_too_large', message);
  }
}

/** A request with this Idempotency-Key is still being processed; retry once it has answered. */
export class IdempotencyInProgressError extends OutpostError {
  constructor(message: string) {
    super('idempotency_in_progress', message);
  }
}

/** The Idempotency-Key was used before for a different request. */
export class IdempotencyKeyReusedError extends OutpostError {
  constructor(message: string) {
    super('idempotency_key_reused', message);
  }
}

/** SMTP: MAIL, RCPT or DATA before a successful AUTH (530 5.7.0); Outpost never relays for an unauthenticated client. */
export class AuthRequiredError extends OutpostError {
  constructor(message: string) {
    super('auth_required', message);
  }
}

/** SMTP: AUTH on a connection that is not encrypted yet (538 5.7.11, RFC 4954): the key must never cross the network in clear. */
export class TlsRequiredError extends OutpostError {
  constructor(message: string) {
    super('tls_required', message);
  }
}

/** SMTP: AUTH refused without checking the key, after too many failures from this address or for this account (454 4.7.0). */
export class AuthThrottledError extends OutpostError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super('auth_throttled', message);
  }
}

/** SMTP: a MAIL FROM address Outpost will not send from (null sender, relay forms, bad syntax). */
export class SenderAddressRefusedError extends OutpostError {
  constructor(message: string) {
    super('sender_address_refused', message);
  }
}

/** SMTP: a RCPT TO address Outpost cannot deliver unambiguously (percent hack, bang path, source route, quoted local part...). */
export class RecipientAddressRefusedError extends OutpostError {
  constructor(message: string) {
    super('recipient_address_refused', message);
  }
}

/** SMTP: DATA held a bare CR, a bare LF or a NUL, bytes a lenient server down the line could read as the end of the message (SMTP smuggling). */
export class UnsafeDataBytesError extends OutpostError {
  constructor(message: string) {
    super('unsafe_data_bytes', message);
  }
}

/** SMTP: a connection over the per-address or total limit (421 4.7.0, then closed). */
export class TooManyConnectionsError extends OutpostError {
  constructor(message: string) {
    super('too_many_connections', message);
  }
}

/** SMTP: a client that keeps sending commands without authenticating (421 4.7.0, then closed). */
export class TooManyUnauthenticatedCommandsError extends OutpostError {
  constructor(message: string) {
    super('too_many_unauthenticated_commands', message);
  }
}

/** SMTP: a client too slow for the idle, command or transaction timeout (421 4.4.2, then closed). */
export class SessionTimeoutError extends OutpostError {
  constructor(message: string) {
    super('session_timeout', message);
  }
}
