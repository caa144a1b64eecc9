/**
 * Validate stage: the structural checks no deployment may turn off (size,
 * envelope syntax, one author in the header, duplicates), then the
 * `message:validate` hooks. Recipients with unusable addresses are rejected
 * one by one; the message fails only when no recipient is left. Every front
 * end (REST, SMTP, code) submits through here, so these checks are the same
 * for all of them.
 */
import { envelopeAddressProblem } from '../address.js';
import { outpostError } from '../errors.js';
import type { PipelineMessage } from '../message.js';
import type { HookRegistry } from '../plugins/hooks.js';
import { requireOneAuthor } from './author.js';
import { runMessageHooks } from './stage-hooks.js';

export async function validateStage(message: PipelineMessage, hooks: HookRegistry, limits: { maxMessageBytes: number }): Promise<void> {
  const headerBlock = message.headers.build();
  const size = headerBlock.length + message.body.length;
  if (size > limits.maxMessageBytes) {
    throw outpostError('message_too_large', `message is ${size} bytes; the limit is ${limits.maxMessageBytes} bytes`);
  }
  if (message.from !== '') {
    const problem = envelopeAddressProblem(message.from);
    if (problem) throw outpostError('message_invalid', `sender: ${problem}`);
  }
  requireOneAuthor(headerBlock, message.headers.getList());
  if (message.recipients.length === 0) throw outpostError('no_valid_recipients', 'the message has no recipients; give at least one');

  const seen = new Set<string>();
  message.recipients = message.recipients.filter((recipient) => {
    const key = recipient.address.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
  for (const recipient of message.recipients) {
    const problem = envelopeAddressProblem(recipient.address);
    if (problem) message.setRecipientState(recipient.address, 'rejected', problem);
  }

  await runMessageHooks(hooks, 'message:validate', message);
  requireDeliverableRecipients(message);
}

/** Throws when every recipient has been rejected or suppressed. */
export function requireDeliverableRecipients(message: PipelineMessage): void {
  if (message.recipients.some((recipient) => recipient.state === 'queued' || recipient.state === 'test')) return;
  const reasons = message.recipients.map((recipient) => `${recipient.address}: ${recipient.reason ?? recipient.state}`);
  throw outpostError('no_valid_recipients', `no recipient can be sent to (${reasons.join('; ')})`);
}
