/**
 * Answers a statistics query from the counts in the shared store (kept by
 * stats-recorder.ts): one read of the buckets the range covers, never a scan
 * of the message log, so it costs the same whatever the volume of mail and
 * answers alike on every node and worker.
 */
import { outpostError } from '../errors.js';
import type { SharedStore } from '../store/shared-store.js';
import { BOUNCE_REASON_PREFIX, bucketOf, INTERVAL_MS, statsKey, type StatsDimension, type StatsInterval, type StoredFigure } from './stats-figures.js';

/** Intervals one query may cover: a month of hours, or years of days. */
export const MAX_STATS_INTERVALS = 1000;

export interface StatsQuery {
  /** Start of the range (ms); the interval it falls in is included whole. */
  from: number;
  /** End of the range (ms, exclusive). */
  to: number;
  interval: StatsInterval;
  /** Only mail carrying this tag. */
  tag?: string;
  /** Only mail sent from this domain (the envelope sender's). */
  domain?: string;
}

/** What happened in an interval (or a whole range): each figure is the number of such events in it. */
export interface StatsCounts {
  /** Recipients accepted for delivery (test-mode ones included). */
  accepted: number;
  delivered: number;
  /** Delivery attempts that failed temporarily (a recipient may be deferred several times). */
  deferred: number;
  /** hard + soft, on a delivery attempt or reported later. */
  bounced: number;
  bouncedHard: number;
  bouncedSoft: number;
  /** Bounces by reason (userunknown, mailboxfull, ...). */
  bounceReasons: Record<string, number>;
  complained: number;
  /** human + machine. */
  opened: number;
  openedHuman: number;
  /** Opens that looked like a proxy or a scanner fetching the image. */
  openedMachine: number;
  clicked: number;
  clickedHuman: number;
  clickedMachine: number;
  unsubscribed: number;
  /** Recipients not sent to at submission because they are on the suppression list. */
  suppressed: number;
}

export interface StatsBucket extends StatsCounts {
  /** Start of the interval (ms, UTC). */
  start: number;
}

export interface StatsReport {
  /** The range covered, widened to whole intervals. */
  from: number;
  to: number;
  interval: StatsInterval;
  buckets: StatsBucket[];
  totals: StatsCounts;
}

export class StatsReader {
  constructor(private readonly store: Pick<SharedStore, 'readCounts'>) {}

  async query(accountId: string, query: StatsQuery): Promise<StatsReport> {
    const size = INTERVAL_MS[query.interval];
    if (!(query.from < query.to)) refuse('to', 'must be later than from');
    if (query.tag !== undefined && query.domain !== undefined) {
      refuse('domain', 'give tag or domain, not both: counts are kept per tag and per domain, not per pair');
    }
    const first = bucketOf(query.from, query.interval);
    const end = Math.ceil(query.to / size);
    if (end - first > MAX_STATS_INTERVALS) {
      refuse('from', `the range holds ${end - first} ${query.interval}s; ask for at most ${MAX_STATS_INTERVALS} (a shorter range, or interval=day)`);
    }
    const dimension: StatsDimension = query.tag !== undefined ? { kind: 'tag', tag: query.tag } : query.domain !== undefined ? { kind: 'domain', domain: query.domain.toLowerCase() } : { kind: 'all' };
    const numbers = Array.from({ length: end - first }, (_, index) => first + index);
    const stored = await this.store.readCounts(numbers.map((bucket) => statsKey(accountId, dimension, query.interval, bucket)));
    const buckets = numbers.map((bucket, index): StatsBucket => ({ start: bucket * size, ...countsFrom(stored[index] ?? {}) }));
    return { from: first * size, to: end * size, interval: query.interval, buckets, totals: sumOf(buckets) };
  }
}

function refuse(field: string, problem: string): never {
  throw outpostError('invalid_request', `${field}: ${problem}`, { details: [{ field, problem }] });
}

/** The figures of one bucket from its stored counts. */
function countsFrom(stored: Record<string, number>): StatsCounts {
  const figure = (name: StoredFigure) => stored[name] ?? 0;
  const bounceReasons: Record<string, number> = {};
  for (const [name, count] of Object.entries(stored)) if (name.startsWith(BOUNCE_REASON_PREFIX)) bounceReasons[name.slice(BOUNCE_REASON_PREFIX.length)] = count;
  return {
    accepted: figure('accepted'),
    delivered: figure('delivered'),
    deferred: figure('deferred'),
    bounced: figure('bounced_hard') + figure('bounced_soft'),
    bouncedHard: figure('bounced_hard'),
    bouncedSoft: figure('bounced_soft'),
    bounceReasons,
    complained: figure('complained'),
    opened: figure('opened_human') + figure('opened_machine'),
    openedHuman: figure('opened_human'),
    openedMachine: figure('opened_machine'),
    clicked: figure('clicked_human') + figure('clicked_machine'),
    clickedHuman: figure('clicked_human'),
    clickedMachine: figure('clicked_machine'),
    unsubscribed: figure('unsubscribed'),
    suppressed: figure('suppressed'),
  };
}

function sumOf(buckets: readonly StatsCounts[]): StatsCounts {
  const totals = countsFrom({});
  for (const bucket of buckets) {
    for (const [name, value] of Object.entries(bucket) as [keyof StatsCounts, unknown][]) {
      if (typeof value === 'number' && name in totals && name !== 'bounceReasons') (totals[name] as number) += value;
    }
    for (const [reason, count] of Object.entries(bucket.bounceReasons)) totals.bounceReasons[reason] = (totals.bounceReasons[reason] ?? 0) + count;
  }
  return totals;
}
