/**
 * Running one stage's hooks against a message, shared by the submission stages:
 * record each verdict on the message's results and turn a refusal into the
 * MessageRejectedError that carries the plugin's own SMTP reply.
 */
import { pluginRefusal } from '../errors.js';
import type { PipelineMessage } from '../message.js';
import type { HookRegistry } from '../plugins/hooks.js';

export type MessageHookName = 'message:validate' | 'message:scan' | 'message:sign' | 'message:queue';

export async function runMessageHooks(hooks: HookRegistry, name: MessageHookName, message: PipelineMessage): Promise<void> {
  const { verdict, plugin } = await hooks.run(name, message, (result) => message.results.push({ hook: name, ...result }));
  if (verdict.action === 'continue') return;
  throw pluginRefusal({ code: verdict.code, status: verdict.status, text: verdict.text }, plugin ?? name, verdict.errorCode);
}
