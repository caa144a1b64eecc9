/**
 * Sending and message status: POST /v1/mail/send, GET /v1/mail/messages,
 * GET /v1/mail/messages/{id}.
 */
import { z } from 'zod';
import { MessageJson, MessageListJson, MessageListQuery } from '../messages/schema.js';
import { SendFields, SendRequest } from '../send/schema.js';
import { ReceiptJson } from '../views/receipt.js';
import { json, type ResourceDoc } from './operation.js';

/** The multipart form of a send: the same fields (to, cc, bcc, tags may repeat), attachments as file parts. */
export const SendMultipart = SendFields.extend({
  attachments: z.array(z.string().meta({ format: 'binary' })).optional().describe('file parts named attachments; the part\'s filename and Content-Type are the attachment\'s'),
});

export const MAIL: ResourceDoc = {
  tag: { name: 'mail', description: 'Send messages; read each recipient\'s status and the message\'s event log' },
  operations: [
    {
      method: 'post',
      path: '/v1/mail/send',
      operationId: 'sendMail',
      summary: 'Send a message (JSON, or multipart/form-data with file parts named attachments)',
      description: 'Answers 200 once the message is durably queued. Invalid and suppressed recipients are counted as rejected, not sent.',
      auth: 'account',
      headers: [{ name: 'Idempotency-Key', description: 'one per logical send: a retry with the same key gets the first receipt (Idempotent-Replayed: true)', schema: { type: 'string', maxLength: 255 } }],
      body: SendRequest,
      multipart: SendMultipart,
      responses: {
        200: json('durably queued', ReceiptJson, { 'Idempotent-Replayed': { description: 'true: the receipt of an earlier request with this Idempotency-Key', schema: { type: 'string', enum: ['true'] } } }),
        400: 'invalid input, naming the field (invalid_request, header_injection, attachment_path_refused, no_valid_recipients)',
        403: 'the account is disabled (forbidden), or its sending is paused for its bounce or complaint rate (account_paused)',
        409: 'a request with this Idempotency-Key is still in progress (idempotency_in_progress)',
        413: 'too large: the body, an attachment, the number of attachments or of recipients',
        415: 'neither application/json nor multipart/form-data (unsupported_media_type)',
        422: 'the sender domain is not verified (domain_not_verified), the content was refused (spam_detected, malware_detected, attachment_refused, message_rejected), or the Idempotency-Key was used for another request (idempotency_key_reused)',
        429: {
          description: 'over the account\'s send rate limit (rate_limited)',
          headers: { 'Retry-After': { description: 'seconds until the window has room', schema: { type: 'integer', minimum: 1 } } },
        },
        503: {
          description: 'the queue is full (queue_full), a scanner or plugin cannot answer (scanner_unavailable, plugin_failed, message_deferred), or storage is failing, starting or stopping; retry later',
          headers: { 'Retry-After': { description: 'seconds to wait, when known', schema: { type: 'integer', minimum: 0 } } },
        },
      },
    },
    {
      method: 'get',
      path: '/v1/mail/messages',
      operationId: 'listMessages',
      summary: 'List the account\'s messages, newest first, filtered and cursor-paged',
      auth: 'account',
      query: MessageListQuery,
      responses: {
        200: json('a page', MessageListJson),
        400: 'a query parameter is wrong, unknown or repeated (invalid_request; details names each)',
      },
    },
    {
      method: 'get',
      path: '/v1/mail/messages/{id}',
      operationId: 'getMessage',
      summary: 'A message with each recipient\'s status and the event log',
      auth: 'account',
      params: { id: 'the message id from the receipt or the list' },
      responses: {
        200: json('the message', MessageJson),
        404: 'no such message in this account (not_found)',
      },
    },
  ],
};
