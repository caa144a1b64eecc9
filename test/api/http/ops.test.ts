/**
 * GET /health and GET /metrics against real servers: Outpost in process (HTTP
 * on port 0), a test DNS server and a scripted destination MX. The spool
 * failure case runs Outpost in a child process whose file size limit
 * (`ulimit -f`) makes the spool's LevelDB log genuinely unwritable (EFBIG, as
 * on a full disk) after a few hundred kilobytes.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { definePlugin } from '../../../core/plugins/plugin-api.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import type { ChildMessage } from '../../support/outpost-child.js';
import { CHILD_SCRIPT, REPO_ROOT } from '../../support/outpost-process.js';
import { allFinal, makeDataDir, rawMessage, startOutpost, testEnv, waitForStatus, type TestOutpost } from '../../support/outpost.js';

interface HealthBody {
  status: string;
  failing?: string[];
  queue: { queued: number; deferred: number; deliveries_in_flight: number };
}

/** The value of the first sample `name` whose labels include `labels`, or undefined. */
function sampleOf(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]));
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return Number(match[3]);
  }
  return undefined;
}

/** Polls `until` with a deadline; fails with what `describe` says about the last state. */
async function waitUntil<T>(read: () => Promise<T>, until: (value: T) => boolean, describe: (value: T) => string, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (until(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${describe(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('GET /health and GET /metrics', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost | undefined;
  let releaseGate: () => void = () => {};

  async function setUp(options: { env?: Record<string, string>; gateDomain?: string; perDomain?: number } = {}): Promise<TestOutpost> {
    mx = await startMxServer({
      rcptReply: (address) => (address.startsWith('nobody@') ? '550 5.1.1 no such user' : address.startsWith('later@') ? '451 4.3.0 try later' : undefined),
    });
    dns = await startDnsServer({
      'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'slow.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'mx.dest.test': { A: ['127.0.0.1'] },
    });
    // holds deliveries to `gateDomain` in delivery:before until the test opens the gate
    const gate = new Promise<void>((resolve) => (releaseGate = resolve));
    const gatePlugin = definePlugin({
      name: 'test-gate',
      register(api) {
        api.addHook('delivery:before', async (group) => {
          if (group.domain === options.gateDomain) await gate;
        });
      },
    });
    server = await startOutpost({
      dnsAddress: dns.address,
      deliveryPort: mx.port,
      env: options.env ?? {},
      plugins: [gatePlugin],
      tune: (config) => {
        if (options.perDomain) config.delivery.maxConnectionsPerDomain = options.perDomain;
      },
    });
    return server;
  }

  afterEach(async () => {
    releaseGate();
    await server?.close();
    server = undefined;
    await mx?.close();
    await dns?.close();
  });

  const send = (target: TestOutpost, to: string[], headers: Record<string, string> = {}) =>
    target.outpost.submit({ from: 'sender@outpost.test', to, raw: rawMessage({ from: 'sender@outpost.test', to, headers }), source: 'internal' });

  const metricsText = async (target: TestOutpost) => {
    const response = await request<string>(target.outpost, 'GET', '/metrics');
    assert.equal(response.status, 200);
    return response.body;
  };

  it('answers /health 200 with status ok and the (empty) queue once the server is up', async () => {
    const target = await setUp();
    const response = await request<HealthBody>(target.outpost, 'GET', '/health');
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { status: 'ok', queue: { queued: 0, deferred: 0, deliveries_in_flight: 0 } });
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.deepEqual(target.outpost.failingParts(), []);
  });

  it('counts submissions, a delivered and a bounced recipient, fsynced batches and plugin time in /metrics', async () => {
    const target = await setUp();
    const receipt = await send(target, ['user@dest.test', 'nobody@dest.test']);
    // no From header: the validate stage refuses it (550 5.6.0) before any plugin runs
    await assert.rejects(target.outpost.submit({ from: 'sender@outpost.test', to: ['user@dest.test'], raw: Buffer.from('Subject: x\r\n\r\nhi\r\n'), source: 'internal' }));
    const view = await waitForStatus(target.outpost, receipt.id, allFinal);
    assert.deepEqual(view.recipients.map((recipient) => recipient.status), ['delivered', 'bounced']);

    const response = await request<string>(target.outpost, 'GET', '/metrics');
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4; charset=utf-8$/);
    const text = await waitUntil(
      () => metricsText(target),
      (current) => sampleOf(current, 'outpost_deliveries_total', { result: 'bounced' }) === 1 && sampleOf(current, 'outpost_deliveries_total', { result: 'delivered' }) === 1,
      (current) => current.split('\n').filter((line) => line.startsWith('outpost_deliveries_total')).join('; '),
    );
    assert.equal(sampleOf(text, 'outpost_deliveries_total', { result: 'deferred' }), 0);
    assert.equal(sampleOf(text, 'outpost_submissions_total', { source: 'internal', result: 'accepted' }), 1);
    assert.equal(sampleOf(text, 'outpost_submissions_total', { source: 'internal', result: 'rejected' }), 1);
    assert.equal(sampleOf(text, 'outpost_submissions_total', { source: 'api', result: 'accepted' }), 0);

    assert.equal(sampleOf(text, 'outpost_delivery_attempt_duration_seconds_count', { result: 'delivered' }), 1);
    assert.equal(sampleOf(text, 'outpost_delivery_attempt_duration_seconds_count', { result: 'bounced' }), 1);
    assert.equal(sampleOf(text, 'outpost_delivery_time_seconds_count', { result: 'delivered' }), 1);

    // the submission, two outcomes and the message's removal are all synced writes
    const batches = sampleOf(text, 'outpost_spool_sync_duration_seconds_count') ?? 0;
    assert.ok(batches >= 2, `${batches} synced batches`);
    assert.ok((sampleOf(text, 'outpost_spool_sync_duration_seconds_sum') ?? 0) > 0);
    assert.ok((sampleOf(text, 'outpost_spool_batch_writes_sum') ?? 0) >= batches);
    assert.equal(sampleOf(text, 'outpost_spool_batch_failures_total'), 0);

    // one call per submission that reached the hooks: the refused one never did
    assert.equal(sampleOf(text, 'outpost_plugin_hook_duration_seconds_count', { hook: 'message:validate', plugin: 'message-headers' }), 1);
    assert.equal(sampleOf(text, 'outpost_plugin_hook_duration_seconds_count', { hook: 'delivery:before', plugin: 'test-gate' }), 1);

    assert.equal(sampleOf(text, 'outpost_queue_recipients', { state: 'queued' }), 0);
    assert.equal(sampleOf(text, 'outpost_queue_recipients', { state: 'deferred' }), 0);
    assert.equal(sampleOf(text, 'outpost_deliveries_in_flight'), 0);
    assert.ok((sampleOf(text, 'process_resident_memory_bytes') ?? 0) > 0, 'process metrics are included');
  });

  it('shows queued, deferred and in-flight recipients in /metrics and /health, which stays 200', async () => {
    const target = await setUp({ env: { OUTPOST_RETRY_SCHEDULE: '1h' }, gateDomain: 'slow.test', perDomain: 1 });
    const inFlight = await send(target, ['first@slow.test']);
    await waitUntil(
      async () => target.outpost.queueSizes(),
      (sizes) => sizes.deliveriesInFlight === 1,
      (sizes) => JSON.stringify(sizes),
    );
    const waiting = await send(target, ['second@slow.test']); // the domain's one connection is busy
    const deferred = await send(target, ['later@dest.test']);
    await waitForStatus(target.outpost, deferred.id, (view) => view.recipients[0]!.status === 'deferred');

    const text = await waitUntil(
      () => metricsText(target),
      (current) => sampleOf(current, 'outpost_queue_recipients', { state: 'deferred' }) === 1,
      (current) => current.split('\n').filter((line) => line.startsWith('outpost_queue') || line.startsWith('outpost_deliveries')).join('; '),
    );
    assert.equal(sampleOf(text, 'outpost_queue_recipients', { state: 'queued' }), 1);
    assert.equal(sampleOf(text, 'outpost_deliveries_in_flight'), 1);
    assert.equal(sampleOf(text, 'outpost_deliveries_total', { result: 'deferred' }), 1);

    const health = await request<HealthBody>(target.outpost, 'GET', '/health');
    assert.equal(health.status, 200, JSON.stringify(health.body));
    assert.deepEqual(health.body, { status: 'ok', queue: { queued: 1, deferred: 1, deliveries_in_flight: 1 } });

    releaseGate();
    for (const receipt of [inFlight, waiting]) await waitForStatus(target.outpost, receipt.id, allFinal);
    const after = await waitUntil(
      () => metricsText(target),
      (current) => sampleOf(current, 'outpost_queue_recipients', { state: 'queued' }) === 0 && sampleOf(current, 'outpost_deliveries_in_flight') === 0,
      (current) => current.split('\n').filter((line) => line.startsWith('outpost_queue') || line.startsWith('outpost_deliveries')).join('; '),
    );
    assert.equal(sampleOf(after, 'outpost_queue_recipients', { state: 'deferred' }), 1);
    assert.equal(sampleOf(after, 'outpost_deliveries_total', { result: 'delivered' }), 2);
  });

  it('keeps separate counters for two servers in one process', async () => {
    const first = await setUp();
    const second = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
    try {
      await send(first, ['user@dest.test']);
      const text = await metricsText(second);
      assert.equal(sampleOf(text, 'outpost_submissions_total', { source: 'internal', result: 'accepted' }), 0);
      assert.equal(sampleOf(await metricsText(first), 'outpost_submissions_total', { source: 'internal', result: 'accepted' }), 1);
    } finally {
      await second.close();
    }
  });
});

describe('GET /health when the spool cannot write (child process with a file size limit)', function () {
  this.timeout(60_000);

  /** The LevelDB log of a fresh spool fails (EFBIG) once it reaches this size. */
  const FILE_SIZE_LIMIT_KB = 256;

  let dns: TestDnsServer | undefined;
  let mx: TestMxServer | undefined;
  let child: ChildProcess | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
    child = undefined;
    await mx?.close();
    await dns?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('answers 503 naming the spool, and counts the failed batches and deferred submissions', async () => {
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    mx = await startMxServer();
    dataDir = await makeDataDir();
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OUTPOST_') && !name.startsWith('CHILD_')));
    // ulimit -f counts 1024-byte blocks in bash; Node ignores SIGXFSZ, so an oversized write fails with EFBIG
    child = spawn('bash', ['-c', `ulimit -f ${FILE_SIZE_LIMIT_KB} && exec "$0" --import tsx "$1"`, process.execPath, CHILD_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }), CHILD_SUBMIT_COUNT: '5000', CHILD_SUBMIT_CONCURRENCY: '8' },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const output: string[] = [];
    for (const stream of [child.stdout!, child.stderr!]) stream.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    let httpAddress: string | undefined;
    let acked = 0;
    const failures: string[] = [];
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'ready') httpAddress = message.httpAddress;
      if (message.type === 'acked') acked++;
      if (message.type === 'submit-failed') failures.push(message.error);
    });
    const running = child;
    const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
    const childState = () => `acked ${acked}, failed ${failures.length}, exited ${running.exitCode ?? running.signalCode}, output: ${output.join('').slice(-2000)}`;

    await waitUntil(
      async () => failures.length,
      (failed) => failed > 0 || running.exitCode !== null,
      childState,
      30_000,
    );
    assert.ok(httpAddress, `the child started: ${childState()}`);
    assert.ok(acked > 0, `some submissions were durably queued before the limit: ${childState()}`);
    assert.match(failures[0]!, /spool write failed/, childState());

    const health = await fetch(`http://${httpAddress}/health`);
    const body = (await health.json()) as HealthBody;
    assert.equal(health.status, 503, JSON.stringify(body));
    assert.equal(body.status, 'unavailable');
    assert.deepEqual(body.failing, ['spool']);
    assert.equal(typeof body.queue.queued, 'number');

    const metrics = await (await fetch(`http://${httpAddress}/metrics`)).text();
    assert.ok((sampleOf(metrics, 'outpost_spool_batch_failures_total') ?? 0) >= 1, metrics.slice(0, 2000));
    assert.ok((sampleOf(metrics, 'outpost_submissions_total', { source: 'internal', result: 'deferred' }) ?? 0) >= 1);
    assert.ok((sampleOf(metrics, 'outpost_submissions_total', { source: 'internal', result: 'accepted' }) ?? 0) >= 1);

    running.kill('SIGTERM');
    await exited;
  });
});
