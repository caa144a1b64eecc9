/**
 * Sign stage: the content is final from here on. Stray CR/LF are replaced
 * first (outbound smuggling defence), so signers hash exactly the bytes that
 * will be sent; then the `message:sign` hooks add their signatures.
 */
import type { PipelineMessage } from '../message.js';
import type { HookRegistry } from '../plugins/hooks.js';
import { replaceStrayCrLf } from './line-endings.js';
import { runMessageHooks } from './stage-hooks.js';

export async function signStage(message: PipelineMessage, hooks: HookRegistry): Promise<void> {
  message.replaceContent(replaceStrayCrLf(message.toBuffer()));
  await runMessageHooks(hooks, 'message:sign', message);
}
