/**
 * What the delivery statistics count and where each count is kept: the shared
 * store holds, per account, one group of counts per time bucket (an hour and
 * a day, UTC) and per dimension (all mail, one tag, one sending domain). The
 * recorder (stats-recorder.ts) adds to them as events happen; the reader
 * (stats-reader.ts) sums the buckets a query covers. Nothing here scans the
 * message log.
 */

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export type StatsInterval = 'hour' | 'day';
export const INTERVAL_MS: Readonly<Record<StatsInterval, number>> = { hour: HOUR_MS, day: DAY_MS };

/** The counts stored under each bucket's key; the totals (bounced, opened, clicked) are their sums. */
export type StoredFigure =
  | 'accepted' | 'delivered' | 'deferred' | 'bounced_hard' | 'bounced_soft' | 'complained'
  | 'opened_human' | 'opened_machine' | 'clicked_human' | 'clicked_machine' | 'unsubscribed' | 'suppressed';

/** Bounces are also counted by reason (sisimai's vocabulary), as `bounce:<reason>`. */
export const BOUNCE_REASON_PREFIX = 'bounce:';

/** The mail a count is about: all of an account's, one tag's, or one sending domain's. */
export type StatsDimension = { kind: 'all' } | { kind: 'tag'; tag: string } | { kind: 'domain'; domain: string };

function dimensionPart(dimension: StatsDimension): string {
  if (dimension.kind === 'all') return 'all';
  return dimension.kind === 'tag' ? `t:${dimension.tag}` : `d:${dimension.domain}`;
}

/** The bucket (a whole hour or day since the epoch, UTC) that `at` falls in. */
export function bucketOf(at: number, interval: StatsInterval): number {
  return Math.floor(at / INTERVAL_MS[interval]);
}

/**
 * The key of one bucket's counts. The bucket comes last and has a fixed shape,
 * and account ids hold no `!`, so no tag or domain can name another's key.
 */
export function statsKey(accountId: string, dimension: StatsDimension, interval: StatsInterval, bucket: number): string {
  return `stats!${accountId}!${dimensionPart(dimension)}!${interval === 'hour' ? 'h' : 'd'}${bucket}`;
}

/** How long a bucket is kept: the retention, plus one day so the oldest day asked for is still whole. */
export function bucketLifetime(retentionMs: number): number {
  return retentionMs + DAY_MS;
}
