/**
 * The message status API's schemas (zod): the query of GET /v1/mail/messages,
 * and the JSON both message endpoints answer. The same schemas validate
 * requests and describe them in the OpenAPI document, so they are exported
 * under the names the generator imports.
 */
import { z } from 'zod';
import type { MessageQuery, RecipientState } from '../../../core/intake.js';
import { outpostError } from '../../../core/errors.js';

export const RECIPIENT_STATES = ['queued', 'deferred', 'delivered', 'bounced', 'complained', 'rejected', 'suppressed', 'test'] as const;
// Fails to compile when core gains a recipient state that this list (and so the API) lacks.
const everyStateListed: RecipientState extends (typeof RECIPIENT_STATES)[number] ? true : never = true;
void everyStateListed;

export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

const isoDateTime = z.iso.datetime({ offset: true });
const isoDate = z.iso.date();
/** The latest time a JavaScript Date can hold. */
const LATEST_DATE_MS = 8.64e15;
const TIMESTAMP_HELP = 'give ISO 8601 (2026-01-31, 2026-01-31T12:00:00Z, 2026-01-31T14:00:00+02:00) or epoch milliseconds';

/** A point in time as a query parameter: ISO 8601 (a time needs an offset) or epoch ms (also GET /v1/stats). */
export const Timestamp = z
  .string()
  .meta({ description: 'ISO 8601 date or date-time with offset, or epoch milliseconds', examples: ['2026-01-31T12:00:00Z', '1769860800000'] })
  .transform((value, ctx) => {
    const ms = /^\d{1,16}$/.test(value) ? Number(value) : isoDateTime.safeParse(value).success || isoDate.safeParse(value).success ? Date.parse(value) : NaN;
    if (Number.isNaN(ms) || ms > LATEST_DATE_MS) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is not a time; ${TIMESTAMP_HELP}` });
      return z.NEVER;
    }
    return ms;
  });

/** GET /v1/mail/messages query. Unknown parameters are refused, so a typo never silently widens a search. */
export const MessageListQuery = z
  .strictObject({
    status: z.enum(RECIPIENT_STATES, { error: `give one of ${RECIPIENT_STATES.join(', ')}` }).optional()
      .meta({ description: 'messages where some recipient has this status' }),
    recipient: z.string().regex(/^[^@\s]+@[^@\s]+$/, { error: 'give one whole email address, e.g. bob@example.com' }).max(320).optional()
      .meta({ description: 'messages to this address (compared case-insensitively)' }),
    tag: z.string().min(1, { error: 'give a tag of 1-128 characters' }).max(128, { error: 'give a tag of 1-128 characters' }).optional().meta({ description: 'messages carrying this tag (exact match)' }),
    since: Timestamp.optional().meta({ description: 'created at or after this time' }),
    until: Timestamp.optional().meta({ description: 'created before this time' }),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, { error: `give a whole number from 1 to ${MAX_PAGE_SIZE}` })
      .transform(Number)
      .refine((limit) => limit >= 1 && limit <= MAX_PAGE_SIZE, { error: `give a whole number from 1 to ${MAX_PAGE_SIZE}` })
      .optional()
      .meta({ description: `items per page, 1-${MAX_PAGE_SIZE} (default ${DEFAULT_PAGE_SIZE})` }),
    cursor: z.string().regex(/^[A-Za-z0-9_-]{1,400}$/, { error: 'pass next_cursor from the previous page unchanged' }).optional()
      .meta({ description: 'next_cursor of the previous page' }),
  })
  .superRefine((query, ctx) => {
    if (typeof query.since === 'number' && typeof query.until === 'number' && query.since >= query.until) {
      ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
    }
  });

/** The query as the status store takes it; InvalidRequestError (400) naming each bad parameter. */
export function parseMessageListQuery(rawQuery: Record<string, string | string[] | undefined>): MessageQuery {
  const repeated = Object.keys(rawQuery).filter((name) => Array.isArray(rawQuery[name]));
  const result = MessageListQuery.safeParse(rawQuery);
  if (repeated.length > 0 || !result.success) {
    const details = [
      ...repeated.map((name) => ({ field: name, problem: 'given more than once; give it once' })),
      ...(result.error?.issues ?? []).flatMap((issue) =>
        issue.code === 'unrecognized_keys'
          ? issue.keys.map((key) => ({ field: key, problem: `unknown query parameter; known: ${Object.keys(MessageListQuery.shape).join(', ')}` }))
          : repeated.includes(String(issue.path[0])) ? [] : [{ field: issue.path.join('.'), problem: issue.message }],
      ),
    ];
    throw outpostError('invalid_request', `invalid query: ${details.map((detail) => `${detail.field}: ${detail.problem}`).join('; ')}`, { details: details });
  }
  const { limit, ...filters } = result.data;
  return { ...filters, limit: limit ?? DEFAULT_PAGE_SIZE };
}

const IsoTime = z.string().meta({ description: 'ISO 8601 UTC', examples: ['2026-01-31T12:00:00.000Z'] });

export const RecipientJson = z.object({
  address: z.string(),
  status: z.enum(RECIPIENT_STATES),
  attempts: z.number().int(),
  last_response: z.string().nullable().meta({ description: 'last SMTP reply, or why it was not sent' }),
  updated_at: IsoTime,
  reason: z.string().optional().meta({ description: "bounced or complained: why, in sisimai's vocabulary (userunknown, mailboxfull, blocked, feedback...)", examples: ['userunknown'] }),
  bounce_type: z.enum(['hard', 'soft']).optional().meta({ description: 'hard: the address will not take mail (it is suppressed); soft: it may later' }),
  diagnostic_code: z.string().optional().meta({ description: 'a bounce reported after delivery: the report\'s Diagnostic-Code' }),
  remote_mta: z.string().optional().meta({ description: 'a bounce reported after delivery: the server that refused the message' }),
  feedback_type: z.string().optional().meta({ description: 'a complaint: the ARF Feedback-Type (abuse, fraud, virus...)' }),
  reported_at: IsoTime.optional().meta({ description: 'when the report (DSN or complaint) arrived' }),
});

export const AttemptJson = z.object({
  at: IsoTime,
  mx: z.string().optional().meta({ description: 'MX host tried; absent when none could be resolved or reached' }),
  ip: z.string().optional(),
  port: z.number().int().optional(),
  tls: z.object({ protocol: z.string(), cipher: z.string() }).nullable().optional().meta({ description: 'null: plaintext' }),
  code: z.number().int().optional().meta({ description: 'SMTP reply code; absent for network failures' }),
  enhanced_status: z.string().optional().meta({ examples: ['5.1.1'] }),
  response: z.string().meta({ description: 'full reply text or what failed' }),
  duration_ms: z.number(),
});

export const MessageEventJson = z.object({
  type: z.enum(['accepted', 'scanned', 'rejected', 'suppressed', 'attempt', 'deferred', 'delivered', 'bounced', 'complained', 'opened', 'clicked', 'unsubscribed', 'quarantined', 'test']),
  at: IsoTime,
  recipient: z.string().optional(),
  reason: z.string().optional(),
  bounce_reason: z.string().optional().meta({ description: "bounced and complained: the classified reason (sisimai's vocabulary)" }),
  bounce_type: z.enum(['hard', 'soft']).optional(),
  diagnostic_code: z.string().optional(),
  remote_mta: z.string().optional(),
  feedback_type: z.string().optional(),
  scan: z.object({
    scanner: z.string(),
    verdict: z.enum(['clean', 'spam', 'malware', 'refused', 'unavailable']),
    score: z.number().optional(),
    threshold: z.number().optional(),
    symbols: z.array(z.string()).optional(),
    virus: z.string().optional(),
    action: z.string().optional(),
  }).optional().meta({ description: 'scanned: one scanner\'s verdict' }),
  url: z.string().optional().meta({ description: 'clicked: the link followed' }),
  machine: z.boolean().optional().meta({ description: 'opened, clicked: looks like a privacy proxy or a security scanner, not a person' }),
  method: z.enum(['one-click', 'page', 'mail']).optional().meta({ description: 'unsubscribed: how' }),
  next_attempt_at: IsoTime.optional(),
  attempt: AttemptJson.optional().meta({ description: 'on deferred, delivered and bounced: the delivery attempt that led to it' }),
});

/** GET /v1/mail/messages/:id, and each item of the list. */
export const MessageJson = z.object({
  id: z.string(),
  from: z.string(),
  subject: z.string(),
  tags: z.array(z.string()),
  created_at: IsoTime,
  size: z.number().int().meta({ description: 'bytes as queued' }),
  recipients: z.array(RecipientJson),
  events: z.array(MessageEventJson),
  engagement: z.object({
    opens: z.number().int().meta({ description: 'opens by people (machine opens left out)' }),
    machine_opens: z.number().int(),
    clicks: z.number().int().meta({ description: 'clicks by people' }),
    links: z.array(z.object({ url: z.string(), clicks: z.number().int() })).meta({ description: 'clicks by people, per link' }),
    unsubscribes: z.number().int(),
  }).meta({ description: 'counts read from the events (open, click and unsubscribe tracking)' }),
});

/** GET /v1/mail/messages. */
export const MessageListJson = z.object({
  items: z.array(MessageJson),
  next_cursor: z.string().nullable().meta({
    description: 'pass as cursor for the next page; null at the end. A page can hold fewer than limit items (even none) and still have a next_cursor',
  }),
});

export type MessageJson = z.infer<typeof MessageJson>;
export type MessageListJson = z.infer<typeof MessageListJson>;
