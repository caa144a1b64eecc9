/**
 * The account's messages: a search by recipient, status, tag and time (the
 * same query as GET /v1/mail/messages), and one message's timeline per
 * recipient: queued, each delivery attempt with the MX, its IP, TLS and the
 * reply, the bounce and its reason, opens and clicks. Another account's
 * message is "not found", exactly like one that does not exist.
 */
import type Router from '@koa/router';
import { isOutpostError, outpostError } from '../../../../core/errors.js';
import { messageJson } from '../../messages/json.js';
import { parseMessageListQuery, RECIPIENT_STATES } from '../../messages/schema.js';
import { accountIdOf, type ConsolePageDeps } from '../deps.js';
import type { ConsoleState } from '../render.js';

const PAGE_SIZE = '25';
const SEARCH_FIELDS = ['recipient', 'status', 'tag', 'since', 'until'] as const;
const MESSAGE_ID_PATTERN = /^[0-9a-z]{1,64}$/;

type MessageJson = ReturnType<typeof messageJson>;
type EventJson = MessageJson['events'][number];

/** A recipient's story: the message-wide events (accepted, scanned) and those naming it, in order. */
function timelineOf(message: MessageJson, address: string): EventJson[] {
  const lower = address.toLowerCase();
  return message.events.filter((event) => event.recipient === undefined || event.recipient === '' || event.recipient.toLowerCase() === lower);
}

export function registerMessagePages(router: Router<ConsoleState>, { intake, pages, account }: ConsolePageDeps): void {
  router.get('/messages', account, async (ctx) => {
    const search: Record<string, string> = {};
    for (const name of SEARCH_FIELDS) {
      const value = ctx.query[name];
      if (typeof value === 'string' && value.trim() !== '') search[name] = value.trim();
    }
    const cursor = typeof ctx.query.cursor === 'string' ? ctx.query.cursor : undefined;
    let error: string | undefined;
    let page: { items: MessageJson[]; nextCursor: string | null } = { items: [], nextCursor: null };
    try {
      const query = parseMessageListQuery({ ...search, limit: PAGE_SIZE, ...(cursor ? { cursor } : {}) });
      const found = await intake.listMessages(accountIdOf(ctx), query);
      page = { items: found.items.map(messageJson), nextCursor: found.nextCursor };
    } catch (caught) {
      if (!isOutpostError(caught, 'invalid_request')) throw caught;
      error = caught.message;
    }
    const nextHref = page.nextCursor ? `/ui/messages?${new URLSearchParams({ ...search, cursor: page.nextCursor })}` : undefined;
    pages.render(ctx, 'messages', { title: 'Messages', search, states: RECIPIENT_STATES, page, nextHref, error }, error ? 400 : 200);
  });

  router.get('/messages/:id', account, async (ctx) => {
    const id = ctx.params.id!;
    const view = MESSAGE_ID_PATTERN.test(id) ? await intake.getMessage(id) : undefined;
    if (!view || view.accountId !== accountIdOf(ctx)) throw outpostError('not_found', 'There is no such message in this account.');
    const message = messageJson(view);
    pages.render(ctx, 'message', {
      title: message.subject || '(no subject)',
      message,
      recipients: message.recipients.map((recipient) => ({ ...recipient, timeline: timelineOf(message, recipient.address) })),
    });
  });
}
