/**
 * DATA: reads the message (read-message.ts), hands it to the same pipeline as
 * the REST API (validate → scan → sign → queue), and answers 250 with the
 * message id only once the pipeline says it is durably queued. A refusal by
 * the checks or the pipeline answers with its registry reply
 * (OutpostError#smtpReply): a spam verdict, an unverified From, a bad
 * X-Outpost-* header.
 */
import type { SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { outpostError } from '../../core/errors.js';
import { envelopeAddress } from './envelope.js';
import { readMessage } from './read-message.js';
import type { SubmissionContext, SubmissionSession } from './session-state.js';

/** Resolves with the text of the 250 reply; throws what to answer instead. */
export async function receiveMessage(
  context: SubmissionContext,
  data: SMTPServerDataStream,
  session: SMTPServerSession,
  state: SubmissionSession,
): Promise<string> {
  const { config } = context;
  state.deadlines.startData();
  let message;
  try {
    message = await readMessage(data, {
      maxMessageBytes: config.spool.maxMessageBytes,
      maxLineBytes: config.submission.maxLineBytes,
      maxHeaderBytes: config.submission.maxHeaderBytes,
    });
  } catch (error) {
    context.logger.info({ session: session.id, ip: session.remoteAddress, reason: (error as Error).message }, 'smtp submission: DATA refused');
    throw error;
  } finally {
    // the client has sent everything: from here on the time is Outpost's, not the client's
    state.deadlines.endTransaction();
    state.inTransaction = false;
    state.deadlines.endData();
  }

  const accountId = session.user as string | undefined;
  if (!accountId) throw outpostError('auth_required', 'authentication required');
  const intake = context.intake;
  if (!intake) throw outpostError('shutting_down');
  const from = envelopeAddress(session.envelope.mailFrom ? session.envelope.mailFrom.address : '');
  const to = session.envelope.rcptTo.map((recipient) => envelopeAddress(recipient.address));
  const log = { session: session.id, ip: session.remoteAddress, accountId, from, recipients: to.length, bytes: message.receivedBytes };
  try {
    const receipt = await state.deadlines.whileBusy(() =>
      intake.submit({
        from,
        to,
        raw: message.raw,
        accountId,
        options: message.options,
        ...(message.tags.length > 0 ? { tags: message.tags } : {}),
        source: 'smtp',
      }),
    );
    context.logger.info({ ...log, messageId: receipt.id, accepted: receipt.accepted, rejected: receipt.rejected }, 'smtp submission: message queued');
    const refused = receipt.rejected > 0 ? `; ${receipt.rejected} of ${receipt.recipients.length} recipients will not be sent, see GET /v1/mail/messages/${receipt.id}` : '';
    return `Ok: queued as ${receipt.id}${refused}`;
  } catch (error) {
    context.logger.info({ ...log, reason: (error as Error).message }, 'smtp submission: message refused');
    throw error;
  }
}
