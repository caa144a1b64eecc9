/**
 * Message status and logs for the authenticated account:
 * GET /v1/mail/messages/:id (one message, its recipients and event log) and
 * GET /v1/mail/messages (its messages, newest first, filtered, cursor-paged).
 * Another account's message answers exactly like a message that does not
 * exist, so ids cannot be probed across accounts.
 */
import type Router from '@koa/router';
import { outpostError } from '../../../core/errors.js';
import { accountIdOf, requireAccount } from '../auth.js';
import { messageJson } from '../messages/json.js';
import { parseMessageListQuery, type MessageListJson } from '../messages/schema.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';

export { MessageListQuery } from '../messages/schema.js';

/** Message ids are base36 time + hex; anything else cannot exist and is not looked up. */
const MESSAGE_ID_PATTERN = /^[0-9a-z]{1,64}$/;

export function registerMessageRoutes(router: Router<ApiState>, intake: Intake): void {
  const account = requireAccount(intake);

  router.get('/v1/mail/messages', account, async (ctx) => {
    const page = await intake.listMessages(accountIdOf(ctx), parseMessageListQuery(ctx.query));
    const body: MessageListJson = { items: page.items.map(messageJson), next_cursor: page.nextCursor };
    ctx.body = body;
  });

  router.get('/v1/mail/messages/:id', account, async (ctx) => {
    const id = ctx.params.id!;
    const view = MESSAGE_ID_PATTERN.test(id) ? await intake.getMessage(id) : undefined;
    if (!view || view.accountId !== accountIdOf(ctx)) {
      // One wording for both cases, without the id, so the bodies are identical.
      throw outpostError('not_found', 'no such message in this account; ids come from POST /v1/mail/send or GET /v1/mail/messages');
    }
    ctx.body = messageJson(view);
  });
}
