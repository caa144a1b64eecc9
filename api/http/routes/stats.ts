/**
 * GET /v1/stats (account key): what happened to the account's mail per hour or
 * day (UTC) — recipients accepted, delivered, deferred, bounced (hard, soft, by
 * reason), complained, opened and clicked (by people and by machines),
 * unsubscribed, suppressed — for all its mail, one tag or one sending domain.
 * Counts are kept as events happen (OUTPOST_STATS_RETENTION long), so the
 * answer costs the same whatever the volume; it lags events by about a second.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { accountIdOf, requireAccount } from '../auth.js';
import { Timestamp } from '../messages/schema.js';
import type { Intake, StatsCounts, StatsInterval, StatsReport } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseQuery } from '../validation.js';
import type { StatsJson } from '../views/stats.js';

// the answer's schema (for the OpenAPI document and the client) is in views/stats.ts
export type { StatsJson } from '../views/stats.js';

/** The range asked for when `from` is left out: a day of hours, or 30 days. */
const DEFAULT_SPAN_MS: Readonly<Record<StatsInterval, number>> = { hour: 24 * 3_600_000, day: 30 * 86_400_000 };

export const StatsQueryParams = z.strictObject({
  from: Timestamp.optional().meta({ description: 'start of the range (its hour or day is included whole); default: 24 hours (interval=hour) or 30 days (interval=day) before `to`' }),
  to: Timestamp.optional().meta({ description: 'end of the range (exclusive); default: now' }),
  interval: z.enum(['hour', 'day'], { error: 'give hour or day' }).optional().meta({ description: 'length of each item, UTC (default day)' }),
  tag: z.string().min(1).max(128, { error: 'give a tag of 1-128 characters' }).optional().meta({ description: 'only mail carrying this tag' }),
  domain: z.string().min(1).max(253).optional().meta({ description: 'only mail sent from this domain (not together with tag)' }),
});

/** The API's figures of one interval or of the whole range. */
export function statsCountsJson(counts: StatsCounts) {
  return {
    accepted: counts.accepted,
    delivered: counts.delivered,
    deferred: counts.deferred,
    bounced: counts.bounced,
    bounced_hard: counts.bouncedHard,
    bounced_soft: counts.bouncedSoft,
    bounce_reasons: counts.bounceReasons,
    complained: counts.complained,
    opened: counts.opened,
    opened_human: counts.openedHuman,
    opened_machine: counts.openedMachine,
    clicked: counts.clicked,
    clicked_human: counts.clickedHuman,
    clicked_machine: counts.clickedMachine,
    unsubscribed: counts.unsubscribed,
    suppressed: counts.suppressed,
  };
}

function statsJson(report: StatsReport, filter: { tag?: string; domain?: string }): StatsJson {
  return {
    interval: report.interval,
    from: new Date(report.from).toISOString(),
    to: new Date(report.to).toISOString(),
    tag: filter.tag ?? null,
    domain: filter.domain ?? null,
    items: report.buckets.map((bucket) => ({ start: new Date(bucket.start).toISOString(), ...statsCountsJson(bucket) })),
    totals: statsCountsJson(report.totals),
  };
}

/** The query of GET /v1/stats with its defaults filled in. */
export function statsQueryOf(rawQuery: Record<string, string | string[] | undefined>, now: number) {
  const params = parseQuery(StatsQueryParams, rawQuery, Object.keys(StatsQueryParams.shape));
  const interval = params.interval ?? 'day';
  const to = params.to ?? now;
  return { interval, to, from: params.from ?? to - DEFAULT_SPAN_MS[interval], ...(params.tag ? { tag: params.tag } : {}), ...(params.domain ? { domain: params.domain } : {}) };
}

export function registerStatsRoutes(router: Router<ApiState>, intake: Intake): void {
  router.get('/v1/stats', requireAccount(intake), async (ctx) => {
    const query = statsQueryOf(ctx.query, Date.now());
    ctx.body = statsJson(await intake.stats(accountIdOf(ctx), query), query);
    ctx.set('Cache-Control', 'no-store');
  });
}
