// Tests core/metrics.ts OutpostMetrics: one registry per instance (with the process metrics), outcomes and
// timings from a real EventBus, hook timings from a real HookRegistry, spool batches, result and time helpers.
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { MetricValueWithName } from 'prom-client';
import { outpostError, pluginRefusal } from '../../core/errors.js';
import { EventBus } from '../../core/events.js';
import type { PipelineMessage } from '../../core/message.js';
import { acceptedAtOf, OutpostMetrics, submissionResultOf } from '../../core/metrics.js';
import { HookRegistry, verdict } from '../../core/plugins/hooks.js';
import { newMessageId } from '../../core/spool/records.js';

/** The values of one metric (histograms: their _bucket, _sum and _count samples). */
async function valuesOf(metrics: OutpostMetrics, name: string): Promise<MetricValueWithName<string>[]> {
  const metric = metrics.registry.getSingleMetric(name);
  assert.ok(metric, `metric ${name} is registered`);
  // histograms name each sample (_bucket, _sum, _count); other metrics leave metricName out
  return (await metric.get()).values as MetricValueWithName<string>[];
}

/** The value of the sample `sampleName` whose labels include `labels`; fails when there is none. */
async function sample(metrics: OutpostMetrics, name: string, labels: Record<string, string> = {}, sampleName = name): Promise<number> {
  const values = await valuesOf(metrics, name);
  const found = values.find(
    (value) => (value.metricName ?? name) === sampleName && Object.entries(labels).every(([key, wanted]) => String(value.labels[key]) === wanted),
  );
  const seen = values.filter((value) => (value.metricName ?? name) === sampleName).map((value) => value.labels);
  assert.ok(found, `no sample ${sampleName} ${JSON.stringify(labels)}; label sets seen: ${JSON.stringify(seen).slice(0, 500)}`);
  return found.value;
}

const attempt = (durationMs: number) => ({ at: 0, response: '250 ok', durationMs });

describe('OutpostMetrics', () => {
  it('gives each instance its own registry, both holding the process metrics', async () => {
    const first = new OutpostMetrics();
    const second = new OutpostMetrics();
    first.submission('api', 'accepted');
    first.submission('api', 'accepted');
    second.submission('smtp', 'rejected');
    assert.equal(await sample(first, 'outpost_submissions_total', { source: 'api', result: 'accepted' }), 2);
    assert.equal(await sample(second, 'outpost_submissions_total', { source: 'api', result: 'accepted' }), 0);
    assert.equal(await sample(second, 'outpost_submissions_total', { source: 'smtp', result: 'rejected' }), 1);
    for (const metrics of [first, second]) {
      const text = await metrics.text();
      assert.match(text, /^process_cpu_user_seconds_total \d/m);
      assert.match(text, /^nodejs_heap_size_used_bytes \d/m);
    }
    assert.match(first.contentType, /^text\/plain; version=0\.0\.4/);
  });

  it('counts recipient outcomes from the event bus, with attempt durations and time since submission', async () => {
    const metrics = new OutpostMetrics();
    const events = new EventBus(pino({ level: 'silent' }));
    metrics.watchEvents(events);
    const submittedAt = 1_700_000_000_000;
    const messageId = newMessageId(submittedAt);
    events.emit('recipient:deferred', { messageId, recipient: 'a@x.test', at: submittedAt + 100, attempt: attempt(40), nextAttemptAt: submittedAt + 60_000 });
    events.emit('recipient:delivered', { messageId, recipient: 'a@x.test', at: submittedAt + 61_500, attempt: attempt(250) });
    events.emit('recipient:bounced', { messageId, recipient: 'b@x.test', at: submittedAt + 2_000, reason: 'expired', bounceType: 'soft', description: 'gave up', async: false });

    assert.equal(await sample(metrics, 'outpost_deliveries_total', { result: 'delivered' }), 1);
    assert.equal(await sample(metrics, 'outpost_deliveries_total', { result: 'deferred' }), 1);
    assert.equal(await sample(metrics, 'outpost_deliveries_total', { result: 'bounced' }), 1);

    const attemptName = 'outpost_delivery_attempt_duration_seconds';
    assert.equal(await sample(metrics, attemptName, { result: 'delivered' }, `${attemptName}_sum`), 0.25);
    assert.equal(await sample(metrics, attemptName, { result: 'deferred' }, `${attemptName}_sum`), 0.04);
    // a bounce without an attempt of its own (queue time ran out) adds no attempt duration
    assert.equal((await valuesOf(metrics, attemptName)).some((value) => value.labels.result === 'bounced'), false);

    const timeName = 'outpost_delivery_time_seconds';
    assert.equal(await sample(metrics, timeName, { result: 'delivered' }, `${timeName}_sum`), 61.5);
    assert.equal(await sample(metrics, timeName, { result: 'bounced' }, `${timeName}_sum`), 2);
    assert.equal(await sample(metrics, timeName, { result: 'delivered', le: '60' }, `${timeName}_bucket`), 0);
    assert.equal(await sample(metrics, timeName, { result: 'delivered', le: '300' }, `${timeName}_bucket`), 1);
  });

  it('times every hook call of a real HookRegistry by hook and plugin, failures and delivery:before included', async () => {
    const metrics = new OutpostMetrics();
    const hooks = new HookRegistry(50);
    hooks.onHookTimed = (timing) => metrics.hookTimed(timing);
    hooks.add('checker', 'message:validate', () => verdict.continue());
    hooks.add('thrower', 'message:validate', () => {
      throw new Error('boom');
    });
    hooks.add('gate', 'delivery:before', () => new Promise(() => {})); // never answers: times out
    const message = { id: 'm' } as unknown as PipelineMessage;
    await hooks.run('message:validate', message);
    await hooks.run('message:validate', message);
    await hooks.run('delivery:before', {} as Parameters<typeof hooks.run<'delivery:before'>>[1]);

    const name = 'outpost_plugin_hook_duration_seconds';
    assert.equal(await sample(metrics, name, { hook: 'message:validate', plugin: 'checker' }, `${name}_count`), 2);
    assert.equal(await sample(metrics, name, { hook: 'message:validate', plugin: 'thrower' }, `${name}_count`), 2);
    assert.equal(await sample(metrics, name, { hook: 'delivery:before', plugin: 'gate' }, `${name}_count`), 1);
    const timedOut = await sample(metrics, name, { hook: 'delivery:before', plugin: 'gate' }, `${name}_sum`);
    assert.ok(timedOut >= 0.045, `the timed-out call took ${timedOut} s`);
  });

  it('records synced spool batches (duration and writes per batch) and failed ones', async () => {
    const metrics = new OutpostMetrics();
    metrics.spoolBatchWritten(4, 3);
    metrics.spoolBatchWritten(1, 1);
    metrics.spoolBatchFailed();
    const sync = 'outpost_spool_sync_duration_seconds';
    assert.equal(await sample(metrics, sync, {}, `${sync}_count`), 2);
    assert.equal(await sample(metrics, sync, {}, `${sync}_sum`), 0.005);
    const writes = 'outpost_spool_batch_writes';
    assert.equal(await sample(metrics, writes, {}, `${writes}_sum`), 4);
    assert.equal(await sample(metrics, writes, { le: '2' }, `${writes}_bucket`), 1);
    assert.equal(await sample(metrics, 'outpost_spool_batch_failures_total'), 1);
  });

  it('reads the queue sizes at each scrape', async () => {
    const metrics = new OutpostMetrics();
    let sizes = { queued: 3, deferred: 2, deliveriesInFlight: 1 };
    metrics.watchQueue(() => sizes);
    assert.equal(await sample(metrics, 'outpost_queue_recipients', { state: 'queued' }), 3);
    assert.equal(await sample(metrics, 'outpost_queue_recipients', { state: 'deferred' }), 2);
    assert.equal(await sample(metrics, 'outpost_deliveries_in_flight'), 1);
    sizes = { queued: 0, deferred: 5, deliveriesInFlight: 0 };
    assert.equal(await sample(metrics, 'outpost_queue_recipients', { state: 'queued' }), 0);
    assert.equal(await sample(metrics, 'outpost_queue_recipients', { state: 'deferred' }), 5);
  });
});

describe('submissionResultOf', () => {
  it('maps refusals by their SMTP class and anything else to error', () => {
    assert.equal(submissionResultOf(pluginRefusal({ code: 550, status: '5.7.1', text: 'spam' }, 'scanner')), 'rejected');
    assert.equal(submissionResultOf(pluginRefusal({ code: 451, status: '4.7.1', text: 'later' }, 'greylist')), 'deferred');
    assert.equal(submissionResultOf(outpostError('message_invalid', 'bad sender')), 'rejected');
    assert.equal(submissionResultOf(outpostError('storage_failed', 'disk')), 'deferred');
    assert.equal(submissionResultOf(outpostError('shutting_down')), 'deferred');
    assert.equal(submissionResultOf(new TypeError('bug')), 'error');
  });
});

describe('acceptedAtOf', () => {
  it('reads the submission time back from an id made by newMessageId', () => {
    for (const at of [0, 1_700_000_000_123, Date.now()]) assert.equal(acceptedAtOf(newMessageId(at)), at);
  });

  it('answers undefined for ids of another shape', () => {
    for (const id of ['', 'not-an-id', 'ABCDEFGHI0123456789abcdef', `${newMessageId(1)}x`]) assert.equal(acceptedAtOf(id), undefined, id);
  });
});
