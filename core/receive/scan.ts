/**
 * Scan stage: the `message:scan` hooks (spam and malware scanners). Core adds
 * nothing of its own here; a scanner that fails or times out defers the
 * message (4xx) rather than letting it through unscanned.
 */
import type { PipelineMessage } from '../message.js';
import type { HookRegistry } from '../plugins/hooks.js';
import { runMessageHooks } from './stage-hooks.js';
import { requireDeliverableRecipients } from './validate.js';

export async function scanStage(message: PipelineMessage, hooks: HookRegistry): Promise<void> {
  await runMessageHooks(hooks, 'message:scan', message);
  requireDeliverableRecipients(message);
}
