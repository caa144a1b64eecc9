/**
 * Calls one route of the API: picks the key the route needs, builds the URL,
 * sends the body (JSON, or a streamed body opened afresh for each try), turns
 * an error answer into OutpostApiError, and tries again per the retry policy
 * (retry.ts), waiting as told. It must never retry a request whose body
 * cannot be sent again (a caller's stream), nor one that may have been
 * carried out unless it is idempotent.
 */
import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientError, errorFromAnswer, OutpostApiError } from './errors.js';
import { exchange, ExchangeFailure, type HttpAnswer } from './http-exchange.js';
import { DEFAULT_RETRY_POLICY, parseRetryAfter, retryDelayFor, type RetryPolicy, type TryOutcome } from './retry.js';
import { ROUTES, routePath, type RouteName } from './routes.js';

export interface ClientOptions {
  /** Where Outpost's HTTP listener is, e.g. http://127.0.0.1:8080 (a path prefix is kept). */
  url: string;
  /** An account's API key (op_...): every route but /v1/accounts. */
  key?: string;
  /** The admin key: /v1/accounts. Without it, `key` is sent there. */
  adminKey?: string;
  /** Retries of 429, 503 and network failures (default: 3 retries, 0.5 s doubling, at most 30 s each). */
  retry?: Partial<RetryPolicy>;
  /** Longest silence from the server (or stall of an upload) before a try fails; default 60 s. */
  timeoutMs?: number;
  /** Sent as User-Agent. */
  userAgent?: string;
  /** Told of every try before it is sent (logging, tests). */
  onRequest?: (event: { route: RouteName; attempt: number }) => void;
}

/** A request body sent as a stream. */
export interface StreamedBody {
  contentType: string;
  /** Bytes, when every part's size is known (sent as Content-Length). */
  length: number | undefined;
  /** Whether open() can be called again for a retry (false once a caller's stream is part of it). */
  replayable: boolean;
  open(): Readable;
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  json?: unknown;
  body?: StreamedBody;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Error statuses that are an answer here rather than a failure (GET /health answers 503 with its report). */
  answerStatuses?: number[];
}

export interface CallResult {
  status: number;
  headers: HttpAnswer['headers'];
  text: string;
}

type TryResult = { ok: true; result: CallResult } | { ok: false; error: OutpostApiError; outcome: TryOutcome };

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'DELETE']);
const DEFAULT_TIMEOUT_MS = 60_000;

export class ApiCaller {
  private readonly baseUrl: URL;
  private readonly policy: RetryPolicy;
  private readonly userAgent: string;

  constructor(private readonly options: ClientOptions) {
    try {
      this.baseUrl = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    } catch {
      throw clientError('invalid_argument', `${JSON.stringify(options.url)} is not a URL; give Outpost's HTTP address, e.g. http://127.0.0.1:8080`);
    }
    if (this.baseUrl.protocol !== 'http:' && this.baseUrl.protocol !== 'https:') {
      throw clientError('invalid_argument', `${options.url}: the URL must start with http:// or https://`);
    }
    this.policy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.userAgent = options.userAgent ?? `outpost-client node/${process.versions.node}`;
  }

  /** The API's answer to `route`; an OutpostApiError for anything but 2xx (after retries). */
  async call(route: RouteName, options: CallOptions = {}): Promise<CallResult> {
    const { method, path } = routePath(route, options.params);
    const url = new URL(path.slice(1), this.baseUrl);
    for (const [name, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(name, value);
    const headers: Record<string, string> = { 'user-agent': this.userAgent, accept: 'application/json', ...options.headers };
    const key = this.keyFor(route);
    if (key) headers.authorization = `Bearer ${key}`;
    const json = options.json === undefined ? undefined : Buffer.from(JSON.stringify(options.json));
    if (json) headers['content-type'] = 'application/json';
    if (options.body) {
      headers['content-type'] = options.body.contentType;
      if (options.body.length !== undefined) headers['content-length'] = String(options.body.length);
    }
    const repeatable = IDEMPOTENT_METHODS.has(method) || headers['idempotency-key'] !== undefined;

    for (let attempt = 1; ; attempt++) {
      this.options.onRequest?.({ route, attempt });
      const tried = await this.tryOnce({ method, url, headers, body: options.body?.open() ?? json, signal: options.signal }, options.answerStatuses ?? []);
      if (tried.ok) return tried.result;
      const canSendAgain = !options.body || options.body.replayable;
      const delay = canSendAgain ? retryDelayFor(attempt, tried.outcome, repeatable, this.policy) : undefined;
      if (delay === undefined) throw tried.error.withAttempts(attempt);
      try {
        await sleep(delay, undefined, { signal: options.signal });
      } catch {
        throw clientError('aborted', `${route}: aborted while waiting to retry (${tried.error.message})`);
      }
    }
  }

  /** `call`, and the answer's JSON. */
  async callJson<T>(route: RouteName, options: CallOptions = {}): Promise<T> {
    const result = await this.call(route, options);
    if (result.status === 204 || result.text === '') return undefined as T;
    try {
      return JSON.parse(result.text) as T;
    } catch (error) {
      throw clientError('invalid_response', `${route} answered ${result.status} with a body that is not JSON; check that the URL points at Outpost`, error);
    }
  }

  private async tryOnce(request: { method: string; url: URL; headers: Record<string, string>; body: Buffer | Readable | undefined; signal: AbortSignal | undefined }, answerStatuses: number[]): Promise<TryResult> {
    let answer: HttpAnswer;
    try {
      answer = await exchange({ ...request, idleTimeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS, ...(request.signal ? { signal: request.signal } : {}) });
    } catch (failure) {
      if (!(failure instanceof ExchangeFailure)) throw failure;
      if (failure.reason === 'aborted') throw clientError('aborted', `${request.method} ${request.url.pathname}: aborted`, failure);
      if (failure.reason === 'body') throw clientError('attachment_unreadable', `reading an attachment failed: ${failure.message}`, failure.cause);
      const code = failure.reason === 'timeout' ? 'timeout' : 'network_error';
      return { ok: false, error: clientError(code, `${request.method} ${request.url.pathname}: ${failure.message}`, failure.cause), outcome: { kind: 'network', maybeProcessed: failure.reachedServer } };
    }
    const text = answer.body.toString('utf8');
    if (answer.status < 400 || answerStatuses.includes(answer.status)) return { ok: true, result: { status: answer.status, headers: answer.headers, text } };
    const retryAfterSeconds = parseRetryAfter(headerValue(answer.headers['retry-after']), Date.now());
    return { ok: false, error: errorFromAnswer(answer.status, text, retryAfterSeconds), outcome: { kind: 'answer', status: answer.status, retryAfterSeconds } };
  }

  private keyFor(route: RouteName): string | undefined {
    const needs = ROUTES[route];
    if (needs === 'none') return undefined;
    const key = needs === 'admin' ? (this.options.adminKey ?? this.options.key) : this.options.key;
    if (!key) {
      throw clientError('missing_key', needs === 'admin'
        ? `${route} needs the admin key (OUTPOST_ADMIN_KEY, or the server's data/admin.key): pass adminKey`
        : `${route} needs an account's API key (op_...): pass key`);
    }
    return key;
  }
}

/** A fresh key for one logical send, reused by its retries. */
export function newIdempotencyKey(): string {
  return randomUUID();
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
