/**
 * GET /v1/stats as the account sees it (api/http/routes/stats.ts builds it):
 * the range, the filter, one item of counts per hour or day, and the totals.
 */
import { z } from 'zod';
import { IsoTime } from './iso-time.js';

const count = (description?: string) => (description ? z.number().int().meta({ description }) : z.number().int());

export const StatsCountsJson = z.object({
  accepted: count('recipients accepted for delivery (test mode included)'),
  delivered: count(),
  deferred: count('delivery attempts that failed temporarily (a recipient may be deferred several times)'),
  bounced: count('bounced_hard + bounced_soft'),
  bounced_hard: count(),
  bounced_soft: count(),
  bounce_reasons: z.record(z.string(), z.number().int()).meta({ description: 'bounces by reason (userunknown, mailboxfull, ...)' }),
  complained: count(),
  opened: count('opened_human + opened_machine'),
  opened_human: count(),
  opened_machine: count('opens that looked like a proxy or a scanner fetching the image'),
  clicked: count('clicked_human + clicked_machine'),
  clicked_human: count(),
  clicked_machine: count(),
  unsubscribed: count(),
  suppressed: count('recipients not sent to because they were on the suppression list'),
});

export const StatsJson = z.object({
  interval: z.enum(['hour', 'day']),
  from: IsoTime.meta({ description: 'start of the first item' }),
  to: IsoTime.meta({ description: 'end of the range (exclusive)' }),
  tag: z.string().nullable().meta({ description: 'the tag filtered on, or null' }),
  domain: z.string().nullable().meta({ description: 'the sending domain filtered on, or null' }),
  items: z.array(StatsCountsJson.extend({ start: IsoTime.meta({ description: 'start of the hour or day (UTC)' }) })),
  totals: StatsCountsJson,
});

export type StatsJson = z.infer<typeof StatsJson>;
