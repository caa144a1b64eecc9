/**
 * SMTP replies of the submission listeners, always from the error registry
 * (OutpostError#smtpReply), so SMTP and REST give the same reason for the same
 * refusal. smtp-server writes `code text` for an error passed to a handler
 * callback; the enhanced status code leads the text, and the command screen
 * (command-screen.ts) keeps smtp-server from adding a second one.
 */
import type { Logger } from 'pino';
import { isOutpostError, OutpostError } from '../../core/errors.js';

/** What smtp-server's handler callbacks take as an error. */
export type SmtpServerError = Error & { responseCode: number };

/** A reply text that already carries an enhanced status code (RFC 3463), e.g. "5.7.1 ...". */
export const ENHANCED_STATUS = /^[245]\.\d{1,3}\.\d{1,3} /;

/** `status text` of an OutpostError, one line (a reply must never be split by the text). */
export function replyText(error: OutpostError): { code: number; text: string } {
  const reply = error.smtpReply();
  return { code: reply.code, text: `${reply.status} ${reply.text.replace(/[\r\n]+/g, ' ')}` };
}

/**
 * The error a handler passes to smtp-server. Anything that is not an OutpostError
 * is a bug or an outage, not the client's fault: it is logged and answered
 * 451 4.3.0, so the client keeps the message and tries again.
 */
export function smtpServerError(error: unknown, logger: Logger, context: Record<string, unknown>): SmtpServerError {
  if (isOutpostError(error)) {
    const { code, text } = replyText(error);
    return Object.assign(new Error(text), { responseCode: code });
  }
  logger.error({ ...context, err: error }, 'smtp submission: unexpected error');
  return Object.assign(new Error('4.3.0 local error in processing; try again later'), { responseCode: 451 });
}
