/**
 * The overview: charts of the account's statistics over a chosen range
 * (delivered, bounced, complained, opened, clicked; the same counts as GET
 * /v1/stats), their totals, a table of the numbers for those who cannot see
 * the chart, and the bounce and complaint rates against the thresholds that
 * pause sending.
 */
import type Router from '@koa/router';
import type { StatsInterval } from '../../../../core/intake.js';
import { accountIdOf, type ConsolePageDeps } from '../deps.js';
import type { ConsoleState } from '../render.js';

const RANGES: Readonly<Record<string, { label: string; interval: StatsInterval; spanMs: number }>> = {
  '24h': { label: 'Last 24 hours, by hour', interval: 'hour', spanMs: 24 * 3_600_000 },
  '7d': { label: 'Last 7 days, by day', interval: 'day', spanMs: 7 * 86_400_000 },
  '30d': { label: 'Last 30 days, by day', interval: 'day', spanMs: 30 * 86_400_000 },
  '90d': { label: 'Last 90 days, by day', interval: 'day', spanMs: 90 * 86_400_000 },
};

/** The series the chart draws, in the order of its legend. */
const CHARTED = [
  { key: 'delivered', label: 'Delivered' },
  { key: 'bounced', label: 'Bounced' },
  { key: 'complained', label: 'Complained' },
  { key: 'opened', label: 'Opened' },
  { key: 'clicked', label: 'Clicked' },
] as const;

export function registerOverviewPage(router: Router<ConsoleState>, { intake, pages, account }: ConsolePageDeps): void {
  router.get('/', account, async (ctx) => {
    const accountId = accountIdOf(ctx);
    const rangeName = typeof ctx.query.range === 'string' && ctx.query.range in RANGES ? ctx.query.range : '7d';
    const range = RANGES[rangeName]!;
    // the first interval is whole: a 7-day range shows today and the 6 days before
    const now = Date.now();
    const [stats, health] = await Promise.all([
      intake.stats(accountId, { interval: range.interval, from: now - range.spanMs + (range.interval === 'day' ? 86_400_000 : 3_600_000), to: now }),
      intake.accountHealth(accountId),
    ]);
    const chart = {
      interval: range.interval,
      // seconds, as uPlot takes time
      times: stats.buckets.map((bucket) => bucket.start / 1000),
      series: CHARTED.map(({ key, label }) => ({ label, values: stats.buckets.map((bucket) => bucket[key]) })),
    };
    pages.render(ctx, 'overview', {
      title: 'Overview',
      ranges: Object.entries(RANGES).map(([name, { label }]) => ({ name, label, selected: name === rangeName })),
      rangeLabel: range.label,
      interval: range.interval,
      stats,
      charted: CHARTED,
      chartJson: JSON.stringify(chart),
      health,
    });
  });
}
