/**
 * Prometheus metrics of one Outpost instance (served as text by GET /metrics):
 * what was submitted, what waits in the queue, how deliveries end and how long
 * they take, how long the spool's fsyncs take, and how long each plugin's hooks
 * take. Each instance owns its own prom-client Registry, so several servers in
 * one process (tests) never share or collide on counters. The metrics only
 * observe: recording one must never change or fail what is being measured.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isOutpostError } from './errors.js';
import type { EventBus } from './events.js';
import type { NewMessage } from './message.js';
import { outpostError } from './errors.js';
import type { HookTiming } from './plugins/hooks.js';
import type { MetricLabels, PluginMetrics } from './plugins/plugin-api.js';

/** How a submission ended: queued, refused for good (5xx), refused for now (4xx), or an unexpected failure (a bug). */
export type SubmissionResult = 'accepted' | 'rejected' | 'deferred' | 'error';

/** Recipients waiting in this node's queue, and attempts in progress. */
export interface QueueSizes {
  /** Waiting for their first attempt. */
  queued: number;
  /** Waiting for a retry after a temporary failure. */
  deferred: number;
  /** SMTP transactions (one message's recipients on one domain each) in progress. */
  deliveriesInFlight: number;
}

const SUBMISSION_SOURCES: readonly NewMessage['source'][] = ['api', 'smtp', 'internal'];
const SUBMISSION_RESULTS: readonly SubmissionResult[] = ['accepted', 'rejected', 'deferred', 'error'];
const DELIVERY_RESULTS = ['delivered', 'deferred', 'bounced'] as const;

/** The result label for a submission that threw `error`. */
export function submissionResultOf(error: unknown): SubmissionResult {
  if (!(isOutpostError(error))) return 'error';
  return error.smtpReply().code >= 500 ? 'rejected' : 'deferred';
}

/**
 * When the message was accepted, read from its id (newMessageId puts the
 * millisecond time first, base 36, padded to 9 characters), or undefined for an
 * id of another shape. The recipient events carry no queue time, and this
 * also holds for messages recovered after a restart.
 */
export function acceptedAtOf(messageId: string): number | undefined {
  if (!/^[0-9a-z]{9}[0-9a-f]{16}$/.test(messageId)) return undefined;
  const at = parseInt(messageId.slice(0, 9), 36);
  return Number.isSafeInteger(at) ? at : undefined;
}

/**
 * prom-client's process metrics (CPU, memory, event loop, GC, handles) describe
 * the process, not an instance, and collecting them starts a GC observer and an
 * event-loop monitor that are never stopped; so they are collected once per
 * process and the same metric objects are registered in every instance's registry.
 */
let processMetrics: Registry | undefined;
function processMetricsRegistry(): Registry {
  if (!processMetrics) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics });
  }
  return processMetrics;
}

export class OutpostMetrics {
  readonly registry = new Registry();
  private readQueue: () => QueueSizes = () => ({ queued: 0, deferred: 0, deliveriesInFlight: 0 });

  private readonly submissions: Counter<'source' | 'result'>;
  private readonly deliveries: Counter<'result'>;
  private readonly attemptDuration: Histogram<'result'>;
  private readonly deliveryTime: Histogram<'result'>;
  private readonly spoolSyncDuration: Histogram;
  private readonly spoolBatchWrites: Histogram;
  private readonly spoolBatchFailures: Counter;
  private readonly hookDuration: Histogram<'hook' | 'plugin'>;

  constructor() {
    const shared = processMetricsRegistry();
    for (const { name } of shared.getMetricsAsArray()) this.registry.registerMetric(shared.getSingleMetric(name)!);
    const registers = [this.registry];

    this.submissions = new Counter({
      name: 'outpost_submissions_total',
      help: 'Messages submitted, by front end (api, smtp, internal) and result: accepted (durably queued), rejected (5xx), deferred (4xx: try again), error (unexpected failure)',
      labelNames: ['source', 'result'],
      registers,
    });
    for (const source of SUBMISSION_SOURCES) for (const result of SUBMISSION_RESULTS) this.submissions.inc({ source, result }, 0);

    const queue: Gauge<'state'> = new Gauge({
      name: 'outpost_queue_recipients',
      help: 'Recipients waiting in this node\'s queue, by state: queued (never tried) or deferred (waiting for a retry); recipients being delivered are not counted',
      labelNames: ['state'],
      registers,
      collect: (): void => {
        const sizes = this.readQueue();
        queue.set({ state: 'queued' }, sizes.queued);
        queue.set({ state: 'deferred' }, sizes.deferred);
      },
    });
    const inFlight: Gauge = new Gauge({
      name: 'outpost_deliveries_in_flight',
      help: 'Delivery attempts in progress (SMTP transactions, each one message\'s recipients on one domain)',
      registers,
      collect: (): void => inFlight.set(this.readQueue().deliveriesInFlight),
    });

    this.deliveries = new Counter({
      name: 'outpost_deliveries_total',
      help: 'Recipient delivery outcomes: delivered, deferred (will be retried) or bounced (given up)',
      labelNames: ['result'],
      registers,
    });
    for (const result of DELIVERY_RESULTS) this.deliveries.inc({ result }, 0);

    this.attemptDuration = new Histogram({
      name: 'outpost_delivery_attempt_duration_seconds',
      help: 'Duration of one delivery attempt for a recipient (the attempt\'s durationMs: delivery:before hooks, MX lookup, connect, SMTP transaction), by outcome',
      labelNames: ['result'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300],
      registers,
    });
    this.deliveryTime = new Histogram({
      name: 'outpost_delivery_time_seconds',
      help: 'Seconds from the message\'s submission (the time in its id) to the recipient\'s final outcome, delivered or bounced, retries included',
      labelNames: ['result'],
      buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600, 5 * 24 * 3600],
      registers,
    });

    this.spoolSyncDuration = new Histogram({
      name: 'outpost_spool_sync_duration_seconds',
      help: 'Duration of each synced (fsynced) spool batch write',
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.spoolBatchWrites = new Histogram({
      name: 'outpost_spool_batch_writes',
      help: 'Writes (submissions, outcomes, status changes) sharing one synced spool batch (group commit)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512],
      registers,
    });
    this.spoolBatchFailures = new Counter({
      name: 'outpost_spool_batch_failures_total',
      help: 'Spool batch writes that failed; every write in them was refused',
      registers,
    });

    this.hookDuration = new Histogram({
      name: 'outpost_plugin_hook_duration_seconds',
      help: 'Duration of each plugin hook call (timeouts and failures included), by hook and plugin',
      labelNames: ['hook', 'plugin'],
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30],
      registers,
    });
  }

  /** Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Content-Type of text(). */
  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * Each account's bounce and complaint rate over the health window, read at every scrape
   * (only accounts with mail in the window; a label per account, as there are few).
   */
  watchAccounts(read: () => Promise<{ accountId: string; bounceRate: number; complaintRate: number }[]>): void {
    const registers = [this.registry];
    const bounce: Gauge<'account'> = new Gauge({
      name: 'outpost_account_bounce_rate',
      help: 'Hard bounces per recipient with a final outcome, per account, over OUTPOST_HEALTH_WINDOW',
      labelNames: ['account'],
      registers,
      collect: async (): Promise<void> => {
        bounce.reset();
        complaint.reset();
        for (const rates of await read()) {
          bounce.set({ account: rates.accountId }, rates.bounceRate);
          complaint.set({ account: rates.accountId }, rates.complaintRate);
        }
      },
    });
    const complaint: Gauge<'account'> = new Gauge({
      name: 'outpost_account_complaint_rate',
      help: 'Complaints per recipient delivered, per account, over OUTPOST_HEALTH_WINDOW',
      labelNames: ['account'],
      registers,
    });
  }

  /** Reads the queue sizes from `read` at every scrape. */
  watchQueue(read: () => QueueSizes): void {
    this.readQueue = read;
  }

  /** Counts recipient outcomes and their timings from the bus. */
  watchEvents(events: EventBus): void {
    events.on('recipient:delivered', ({ messageId, attempt, at }) => {
      this.deliveries.inc({ result: 'delivered' });
      this.attemptDuration.observe({ result: 'delivered' }, attempt.durationMs / 1000);
      this.observeDeliveryTime('delivered', messageId, at);
    }, 'metrics');
    events.on('recipient:deferred', ({ attempt }) => {
      this.deliveries.inc({ result: 'deferred' });
      this.attemptDuration.observe({ result: 'deferred' }, attempt.durationMs / 1000);
    }, 'metrics');
    events.on('recipient:bounced', ({ messageId, attempt, at }) => {
      this.deliveries.inc({ result: 'bounced' });
      // a bounce for running out of queue time has no attempt of its own
      if (attempt) this.attemptDuration.observe({ result: 'bounced' }, attempt.durationMs / 1000);
      this.observeDeliveryTime('bounced', messageId, at);
    }, 'metrics');
  }

  /** One submission ended with `result`. */
  submission(source: NewMessage['source'], result: SubmissionResult): void {
    this.submissions.inc({ source, result });
  }

  /** For HookRegistry.onHookTimed. */
  hookTimed(timing: HookTiming): void {
    this.hookDuration.observe({ hook: timing.hook, plugin: timing.plugin }, timing.ms / 1000);
  }

  /** For GroupCommitter.onBatchWritten. */
  spoolBatchWritten(milliseconds: number, writes: number): void {
    this.spoolSyncDuration.observe(milliseconds / 1000);
    this.spoolBatchWrites.observe(writes);
  }

  /** For GroupCommitter.onBatchFailed. */
  spoolBatchFailed(): void {
    this.spoolBatchFailures.inc();
  }

  /**
   * The metrics a plugin registers through its API: names become
   * `outpost_plugin_<plugin>_<name>` (dashes as underscores) in this instance's
   * registry, so no plugin can shadow or change Outpost's own.
   */
  forPlugin(plugin: string): PluginMetrics {
    const registers = [this.registry];
    const fullName = (name: string): string => {
      if (!/^[a-z][a-z0-9_]*$/.test(name)) throw outpostError('plugin_invalid', `plugin ${plugin}: metric name "${name}" must be snake_case (a-z, 0-9, _)`);
      const full = `outpost_plugin_${plugin.replace(/-/g, '_')}_${name}`;
      if (this.registry.getSingleMetric(full)) throw outpostError('plugin_invalid', `plugin ${plugin}: metric ${name} is registered twice`);
      return full;
    };
    const labels = (values: MetricLabels | undefined): Partial<Record<string, string | number>> => values ?? {};
    return {
      counter: (name, help, labelNames = []) => {
        const counter = new Counter({ name: fullName(name), help, labelNames: [...labelNames], registers });
        return { inc: (values, value = 1) => counter.inc(labels(values), value) };
      },
      gauge: (name, help, labelNames = []) => {
        const gauge = new Gauge({ name: fullName(name), help, labelNames: [...labelNames], registers });
        return { set: (value, values) => gauge.set(labels(values), value) };
      },
      histogram: (name, help, options = {}) => {
        const histogram = new Histogram({
          name: fullName(name),
          help,
          labelNames: [...(options.labelNames ?? [])],
          ...(options.buckets ? { buckets: [...options.buckets] } : {}),
          registers,
        });
        return { observe: (value, values) => histogram.observe(labels(values), value) };
      },
    };
  }

  private observeDeliveryTime(result: 'delivered' | 'bounced', messageId: string, at: number): void {
    const acceptedAt = acceptedAtOf(messageId);
    if (acceptedAt !== undefined && at >= acceptedAt) this.deliveryTime.observe({ result }, (at - acceptedAt) / 1000);
  }
}
