/**
 * From a validated send to a queued message: plan the recipients (headers,
 * envelope, rejects), check the recipient limit, compose the MIME message and
 * hand it to the pipeline. The receipt comes back only once the pipeline has
 * durably queued the message. Nothing is composed when no recipient is usable.
 */
import type { DeliveryOptions, NewMessage } from '../../../core/intake.js';
import { outpostError } from '../../../core/errors.js';
import type { Intake } from '../../../core/intake.js';
import { bareAddressProblem, planRecipients } from './addresses.js';
import { composeMessage } from './compose.js';
import type { SendInput } from './read-request.js';

/** The body of a 200 answer (SPEC "Sending"). */
export interface SendReceipt {
  id: string;
  accepted_recipients: number;
  rejected_recipients: number;
}

export async function submitSend(input: Pick<SendInput, 'fields' | 'attachments'>, accountId: string, intake: Intake): Promise<SendReceipt> {
  const { fields } = input;
  const recipients = planRecipients(fields.to, fields.cc ?? [], fields.bcc ?? []);
  const recipientCount = recipients.envelope.length + recipients.refused.length;
  if (recipientCount > intake.config.api.maxRecipients) {
    throw outpostError('too_many_recipients', `${recipientCount} recipients (to, cc and bcc without duplicates); at most ${intake.config.api.maxRecipients} per message (OUTPOST_API_MAX_RECIPIENTS): split the send`);
  }
  if (recipients.usable === 0) {
    const unusable = [...recipients.envelope, ...recipients.refused];
    const reasons = unusable.slice(0, 10).map((address) => bareAddressProblem(address));
    const more = unusable.length > reasons.length ? `; and ${unusable.length - reasons.length} more` : '';
    throw outpostError('no_valid_recipients', `no recipient can be sent to: ${reasons.join('; ')}${more}`);
  }

  const raw = await composeMessage({
    from: fields.from,
    fromName: fields.from_name,
    to: recipients.to,
    cc: recipients.cc,
    replyTo: fields.reply_to,
    subject: fields.subject,
    text: fields.text,
    html: fields.html,
    date: fields.date === undefined ? undefined : new Date(fields.date),
    charset: fields.charset ?? 'UTF-8',
    encoding: fields.encoding ?? 'quoted-printable',
    attachments: input.attachments,
    hostname: intake.config.hostname,
  });
  const submission: NewMessage = {
    from: fields.from,
    to: recipients.envelope,
    raw,
    accountId,
    options: deliveryOptions(fields),
    tags: [...new Set(fields.tags ?? [])],
    source: 'api',
  };
  const receipt = await intake.submit(submission);
  return { id: receipt.id, accepted_recipients: receipt.accepted, rejected_recipients: receipt.rejected + recipients.refused.length };
}

/** Only the options the request set: one left out stays undefined, so the sender domain's default applies. */
function deliveryOptions(fields: SendInput['fields']): DeliveryOptions {
  return {
    ...(fields.require_tls !== undefined ? { requireTls: fields.require_tls } : {}),
    ...(fields.verify_cert !== undefined ? { verifyCert: fields.verify_cert } : {}),
    ...(fields.test_mode !== undefined ? { testMode: fields.test_mode } : {}),
    ...(fields.open_tracking !== undefined ? { openTracking: fields.open_tracking } : {}),
    ...(fields.click_tracking !== undefined ? { clickTracking: fields.click_tracking } : {}),
    ...(fields.text_click_tracking !== undefined ? { textClickTracking: fields.text_click_tracking } : {}),
    ...(fields.unsubscribe_tracking !== undefined ? { unsubscribeTracking: fields.unsubscribe_tracking } : {}),
  };
}
