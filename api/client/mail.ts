/**
 * `client.mail`: send a message (the seed's `client.mail.send`) and read
 * messages back. A send without attachments goes as JSON; with attachments it
 * goes as multipart/form-data whose file parts stream from disk or from the
 * caller's streams. Every send carries an Idempotency-Key, one per call and the
 * same on each retry, so a send retried after a lost answer is queued once.
 * It must never send a local path to the server: files are uploaded.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ApiCaller } from './api-caller.js';
import { newIdempotencyKey } from './api-caller.js';
import { prepareAttachments } from './attachments.js';
import { clientError } from './errors.js';
import { isFinal } from './message-status.js';
import { multipartBody } from './multipart.js';
import type { Message, MessagePage, MessageQuery, Receipt, SendMessage, SendOptions } from './types.js';

/** The multipart field file parts must carry (SPEC "Sending"). */
const ATTACHMENTS_FIELD = 'attachments';
const DEFAULT_WATCH_INTERVAL_MS = 1000;

export interface WatchOptions {
  /** Between two looks (default 1 s). */
  intervalMs?: number;
  /** Give up (OutpostApiError, code timeout) when the message is not final by then. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export class MessagesApi {
  constructor(private readonly api: ApiCaller) {}

  /** One message: recipients with their status, and the event log. */
  get(id: string): Promise<Message> {
    return this.api.callJson('GET /v1/mail/messages/{id}', { params: { id } });
  }

  /** One page, newest first; pass `next_cursor` back as `cursor` for the next. */
  list(query: MessageQuery & { cursor?: string } = {}): Promise<MessagePage> {
    return this.api.callJson('GET /v1/mail/messages', { query: queryParameters(query) });
  }

  /** Every page of a listing in turn, to the end (a page may be empty and still not be the last). */
  async *pages(query: MessageQuery = {}): AsyncGenerator<MessagePage> {
    let cursor: string | undefined;
    do {
      const page = await this.list({ ...query, ...(cursor ? { cursor } : {}) });
      yield page;
      cursor = page.next_cursor ?? undefined;
    } while (cursor);
  }

  /**
   * Follows a message until every recipient is final (message-status.ts):
   * yields it first as it is, then each time a recipient's status or attempts
   * change; the last yield is the final state.
   */
  async *watch(id: string, options: WatchOptions = {}): AsyncGenerator<Message> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    let seen = '';
    for (;;) {
      const message = await this.get(id);
      const state = JSON.stringify(message.recipients.map(({ address, status, attempts }) => [address, status, attempts]));
      if (state !== seen) {
        seen = state;
        yield message;
      }
      if (isFinal(message)) return;
      if (Date.now() >= deadline) throw clientError('timeout', `message ${id} was not final after ${Math.round(options.timeoutMs! / 1000)} s; its recipients are still queued or deferred`);
      try {
        await sleep(Math.min(options.intervalMs ?? DEFAULT_WATCH_INTERVAL_MS, Math.max(0, deadline - Date.now())), undefined, options.signal ? { signal: options.signal } : {});
      } catch {
        throw clientError('aborted', `stopped watching message ${id}`);
      }
    }
  }

  /** Every message of a listing, page after page. */
  async *all(query: MessageQuery = {}): AsyncGenerator<Message> {
    for await (const page of this.pages(query)) yield* page.items;
  }
}

export class MailApi {
  readonly messages: MessagesApi;

  constructor(private readonly api: ApiCaller) {
    this.messages = new MessagesApi(api);
  }

  /** Sends `message`; resolves with the receipt once the server has durably queued it. */
  async send(message: SendMessage, options: SendOptions = {}): Promise<Receipt> {
    const { attachments = [], ...fields } = message;
    const headers = { 'idempotency-key': options.idempotencyKey ?? newIdempotencyKey() };
    const signal = options.signal ? { signal: options.signal } : {};
    if (attachments.length === 0) {
      const json = { ...fields, ...(fields.date instanceof Date ? { date: fields.date.toISOString() } : {}) };
      const receipt = await this.api.callJson<Receipt>('POST /v1/mail/send', { json, headers, ...signal });
      const bytes = Buffer.byteLength(JSON.stringify(json));
      options.onUploadProgress?.({ sentBytes: bytes, totalBytes: bytes });
      return receipt;
    }
    const files = await prepareAttachments(attachments);
    const body = multipartBody(formFields(fields), ATTACHMENTS_FIELD, files, options.onUploadProgress);
    return this.api.callJson<Receipt>('POST /v1/mail/send', { body, headers, ...signal });
  }
}

/** The send's fields as form fields: arrays as repeated fields, flags as true/false, a Date as ISO 8601. */
function formFields(fields: Omit<SendMessage, 'attachments'>): [string, string][] {
  const form: [string, string][] = [];
  for (const [name, value] of Object.entries(fields)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const item of value) form.push([name, String(item)]);
    else if (value instanceof Date) form.push([name, value.toISOString()]);
    else form.push([name, String(value)]);
  }
  return form;
}

/** The list query as URL parameters: times as epoch milliseconds or as given, numbers as text. */
function queryParameters(query: MessageQuery & { cursor?: string }): Record<string, string | undefined> {
  const time = (value: Date | string | number | undefined) => (value === undefined ? undefined : value instanceof Date ? String(value.getTime()) : String(value));
  return {
    status: query.status,
    recipient: query.recipient,
    tag: query.tag,
    since: time(query.since),
    until: time(query.until),
    limit: query.limit === undefined ? undefined : String(query.limit),
    cursor: query.cursor,
  };
}
