/**
 * outpost/client: the TypeScript client of Outpost's REST API and its
 * nodemailer transport.
 *
 *   import { Outpost, OutpostApiError } from 'outpost/client';
 *   const client = new Outpost({ url: 'http://127.0.0.1:8080', key: process.env.OUTPOST_API_KEY });
 *   const receipt = await client.mail.send({ from, to: [to], subject, text, attachments: ['/path/to/file.pdf'] });
 */
export { Outpost } from './client.js';
export { OutpostApiError, isOutpostApiError, type ClientErrorCode, type ErrorDetail } from './errors.js';
export { outpostTransport, type OutpostSentMessageInfo } from './nodemailer-transport.js';
export type { ClientOptions } from './api-caller.js';
export type { RetryPolicy } from './retry.js';
export { ROUTES, type RouteName } from './routes.js';
export type * from './types.js';
export { FINAL_STATUSES, allDelivered, isFinal } from './message-status.js';
export type { WatchOptions } from './mail.js';
