/**
 * The one error the client throws: OutpostApiError, carrying the API's stable
 * `code`, the HTTP `status`, the server's `message` (what is wrong and how to
 * fix it) and its `details`. Failures that never got an answer from the server
 * use the same class with status 0 and a client-side code (network_error,
 * timeout, attachment_unreadable...), so a caller needs one `catch` branch.
 * It must never hide the server's words behind its own: the message and code
 * are passed through as the server sent them.
 */

/** One field-level problem, as the API reports it in `details`. */
export interface ErrorDetail {
  field: string;
  problem: string;
}

/** Codes of failures the client detects itself (status 0: no answer from the server). */
export type ClientErrorCode =
  | 'network_error'
  | 'timeout'
  | 'aborted'
  | 'missing_key'
  | 'invalid_argument'
  | 'attachment_unreadable'
  | 'invalid_response';

export class OutpostApiError extends Error {
  override readonly name = 'OutpostApiError';
  /** The API's stable snake_case code (e.g. domain_not_verified), or a ClientErrorCode when status is 0. */
  readonly code: string;
  /** HTTP status of the answer; 0 when there was none (network, timeout, a local file). */
  readonly status: number;
  readonly details: ErrorDetail[] | undefined;
  /** Seconds the server asked to wait (Retry-After of a 429 or 503). */
  readonly retryAfterSeconds: number | undefined;
  /** Attempts made before giving up (1 = no retry). */
  readonly attempts: number;

  constructor(fields: { code: string; status: number; message: string; details?: ErrorDetail[]; retryAfterSeconds?: number; attempts?: number; cause?: unknown }) {
    super(fields.message, fields.cause === undefined ? undefined : { cause: fields.cause });
    this.code = fields.code;
    this.status = fields.status;
    this.details = fields.details;
    this.retryAfterSeconds = fields.retryAfterSeconds;
    this.attempts = fields.attempts ?? 1;
  }

  /** Whether the server answered (4xx/5xx) rather than the request failing on the way. */
  get answered(): boolean {
    return this.status > 0;
  }

  /** The same error, counting `attempts` tries. */
  withAttempts(attempts: number): OutpostApiError {
    return new OutpostApiError({ ...this.fields(), attempts });
  }

  private fields() {
    return {
      code: this.code,
      status: this.status,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
      ...(this.retryAfterSeconds !== undefined ? { retryAfterSeconds: this.retryAfterSeconds } : {}),
      ...(this.cause !== undefined ? { cause: this.cause } : {}),
    };
  }
}

/** A failure the client found before or without an answer (status 0). */
export function clientError(code: ClientErrorCode, message: string, cause?: unknown): OutpostApiError {
  return new OutpostApiError({ code, status: 0, message, ...(cause !== undefined ? { cause } : {}) });
}

export function isOutpostApiError(error: unknown): error is OutpostApiError {
  return error instanceof OutpostApiError;
}

/** The error an answer of 4xx/5xx carries: the API's `{code, message, details}`, or a stand-in naming the status when the body is not that. */
export function errorFromAnswer(status: number, body: string, retryAfterSeconds: number | undefined): OutpostApiError {
  let parsed: { code?: unknown; message?: unknown; details?: unknown } | undefined;
  try {
    parsed = JSON.parse(body) as typeof parsed;
  } catch {
    // not JSON: a proxy's error page, say; described below
  }
  const code = typeof parsed?.code === 'string' ? parsed.code : `http_${status}`;
  const message = typeof parsed?.message === 'string'
    ? parsed.message
    : `the server answered ${status} without an Outpost error body${body ? `: ${body.slice(0, 200).replace(/\s+/g, ' ')}` : ''}; check that the URL points at Outpost`;
  const details = Array.isArray(parsed?.details) ? (parsed.details as ErrorDetail[]) : undefined;
  return new OutpostApiError({ code, status, message, ...(details ? { details } : {}), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}) });
}
