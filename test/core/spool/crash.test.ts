/**
 * Crash safety of the spool, end to end: Outpost runs in a child process
 * (test/support/outpost-child.ts) that submits 200 messages while delivering
 * them to a real MX; the test kills it with SIGKILL part-way, restarts it on
 * the same data dir, and checks at the MX that every acknowledged message
 * arrived, and that the only duplicates are messages that were in flight at
 * the crash (at most one per open connection, each message having one recipient).
 *
 * The kill point is random; every assertion message carries the seed. To
 * replay a failure: CRASH_TEST_SEED=<seed> npx mocha test/core/spool/crash.test.ts
 * (CRASH_TEST_VERBOSE=1 prints a summary of every run).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type ReceivedEnvelope, type ReceivedMessage, type TestMxServer } from '../../support/mx-server.js';
import type { ChildMessage } from '../../support/outpost-child.js';
import { makeDataDir, testEnv } from '../../support/outpost.js';
import { seededRandom } from '../../support/seeded-random.js';

const CHILD_SCRIPT = fileURLToPath(new URL('../../support/outpost-child.ts', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

const MESSAGES = 200;
const KILL_AFTER_MIN_ACKS = 40;
const KILL_AFTER_MAX_ACKS = 160;
/** Open connections to dest.test, hence transactions (one message each) in flight at most. */
const MAX_CONNECTIONS_PER_DOMAIN = 4;
const ITERATIONS = 2;
/** 100 submissions a second: the kill comes 0.4 to 1.6 s in, while delivery (about 30 a second here) lags behind. */
const SUBMIT_INTERVAL_MS = 10;
const DELIVERY_DEADLINE_MS = 30_000;
const CHILD_START_TIMEOUT_MS = 20_000;
const CHILD_EXIT_TIMEOUT_MS = 10_000;

const SEED_BASE = process.env.CRASH_TEST_SEED ? Number(process.env.CRASH_TEST_SEED) : randomInt(2 ** 31);

/** The X-Test-Seq header of a received message, or undefined. */
function seqOf(message: ReceivedMessage): number | undefined {
  const headerEnd = message.raw.indexOf('\r\n\r\n');
  const header = message.raw.subarray(0, headerEnd === -1 ? message.raw.length : headerEnd).toString('latin1');
  const match = /^X-Test-Seq:[ \t]*(\d+)[ \t]*$/im.exec(header);
  return match ? Number(match[1]) : undefined;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what()}: timed out after ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** One Outpost child process and what it said. */
class OutpostChild {
  readonly process: ChildProcess;
  readonly output: string[] = [];
  readonly started = new Set<number>();
  readonly acked: number[] = [];
  readonly failures: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly ready: Promise<void>;
  private statsWaiters: ((stats: { queued: number; active: number }) => void)[] = [];
  onAck: ((child: OutpostChild) => void) | undefined;

  constructor(env: Record<string, string>) {
    // the child's config comes from env alone: no OUTPOST_* from the outside may leak in
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('OUTPOST_') && !name.startsWith('CHILD_')));
    this.process = spawn(process.execPath, ['--import', 'tsx', CHILD_SCRIPT], {
      cwd: REPO_ROOT,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    for (const stream of [this.process.stdout!, this.process.stderr!]) stream.on('data', (chunk: Buffer) => this.output.push(chunk.toString()));
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
    this.ready = new Promise<void>((resolve, reject) => {
      this.process.on('message', (message: ChildMessage) => {
        switch (message.type) {
          case 'ready':
            resolve();
            break;
          case 'fatal':
            reject(new Error(`child could not start: ${message.error}`));
            break;
          case 'submitting':
            this.started.add(message.seq);
            break;
          case 'acked':
            this.acked.push(message.seq);
            this.onAck?.(this);
            break;
          case 'submit-failed':
            this.failures.push(`#${message.seq}: ${message.error}`);
            break;
          case 'stats':
            for (const waiter of this.statsWaiters.splice(0)) waiter(message);
            break;
          default:
            break;
        }
      });
      void this.exited.then(({ code, signal }) => reject(new Error(`child exited before ready (code ${code}, signal ${signal}): ${this.output.join('')}`)));
    });
    // a rejection nobody awaits yet (child killed after ready) must not surface as unhandled
    this.ready.catch(() => {});
  }

  get pid(): number | undefined {
    return this.process.pid;
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  stats(): Promise<{ queued: number; active: number }> {
    return withTimeout(
      new Promise((resolve) => {
        this.statsWaiters.push(resolve);
        this.process.send({ type: 'stats' });
      }),
      5_000,
      () => 'stats from the child',
    );
  }
}

describe('spool: kill -9 in the middle of a queue of 200 messages, then restart', function () {
  this.timeout(60_000);

  let dns: TestDnsServer | undefined;
  let mx: TestMxServer | undefined;
  const children: OutpostChild[] = [];
  const dataDirs: string[] = [];

  afterEach(async () => {
    // only the processes this test spawned, by their own handle (pid)
    for (const child of children.splice(0)) {
      if (child.running) child.process.kill('SIGKILL');
      await withTimeout(child.exited, CHILD_EXIT_TIMEOUT_MS, () => `child ${child.pid} did not exit`).catch(() => {});
    }
    await mx?.close();
    await dns?.close();
    mx = undefined;
    dns = undefined;
    for (const directory of dataDirs.splice(0)) await rm(directory, { recursive: true, force: true });
  });

  function spawnChild(env: Record<string, string>): OutpostChild {
    const child = new OutpostChild(env);
    children.push(child);
    return child;
  }

  for (let iteration = 1; iteration <= ITERATIONS; iteration++) {
    it(`delivers every acknowledged message and re-delivers at most the ones in flight (run ${iteration})`, async () => {
      const seed = SEED_BASE + iteration;
      const random = seededRandom(seed);
      const killAfter = KILL_AFTER_MIN_ACKS + Math.floor(random() * (KILL_AFTER_MAX_ACKS - KILL_AFTER_MIN_ACKS + 1));
      const facts: Record<string, unknown> = { seed, replay: `CRASH_TEST_SEED=${SEED_BASE}`, killAfter };
      const context = () => JSON.stringify(facts);

      dns = await startDnsServer({
        'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
        'mx.dest.test': { A: ['127.0.0.1'] },
      });
      // One message per connection and a slow greeting make delivery slower than
      // submission, so at the kill some messages are delivered, some in flight
      // and the rest queued. The kill itself happens inside the MX's DATA
      // handler, after the whole message arrived but before the 250 is sent:
      // that message is at the MX while its sender never learns it, the exact
      // case that must be sent again after the restart.
      let onSinkData: (envelope: ReceivedEnvelope) => void = () => {};
      mx = await startMxServer({
        greetingDelayMs: 20,
        dataReply: (envelope) => {
          onSinkData(envelope);
          return undefined;
        },
      });
      const sink = mx;
      const dataDir = await makeDataDir();
      dataDirs.push(dataDir);
      const env = {
        ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }),
        OUTPOST_LOG_LEVEL: 'silent',
        CHILD_MAX_CONNECTIONS_PER_DOMAIN: String(MAX_CONNECTIONS_PER_DOMAIN),
        CHILD_MAX_MESSAGES_PER_CONNECTION: '1',
      };

      // 1. submit 200 (paced, so delivery is under way), kill -9 at the first
      //    DATA the MX receives once `killAfter` submissions are acknowledged
      const first = spawnChild({
        ...env,
        CHILD_SUBMIT_COUNT: String(MESSAGES),
        CHILD_SUBMIT_CONCURRENCY: '8',
        CHILD_SUBMIT_INTERVAL_MS: String(SUBMIT_INTERVAL_MS),
      });
      let firstReadyAt = 0;
      onSinkData = (envelope) => {
        if (facts.ackedAtKill !== undefined || !first.running || first.acked.length < killAfter) return;
        first.process.kill('SIGKILL');
        facts.ackedAtKill = first.acked.length;
        facts.submittedAtKill = first.started.size;
        facts.deliveredAtKill = sink.messages.length;
        facts.unconfirmedAtKill = envelope.rcptTo.join(',');
        facts.msFromReadyToKill = Date.now() - firstReadyAt;
      };
      await withTimeout(first.ready, CHILD_START_TIMEOUT_MS, () => `first child ready ${context()}`);
      firstReadyAt = Date.now();
      const firstExit = await withTimeout(first.exited, DELIVERY_DEADLINE_MS, () => `first child killed ${context()} output: ${first.output.join('')}`);
      onSinkData = () => {};
      facts.acked = first.acked.length;
      facts.submitted = first.started.size;
      assert.equal(firstExit.signal, 'SIGKILL', `the first child died of the kill, not on its own ${context()} output: ${first.output.join('')}`);
      assert.deepEqual(first.failures, [], `no submission failed before the kill ${context()}`);
      assert.ok(first.acked.length >= killAfter && first.acked.length < MESSAGES, `killed mid-queue ${context()}`);

      // 2. restart on the same data dir; wait until every acknowledged message is at the MX and the queue is empty
      const deliveredBeforeRestart = sink.messages.length;
      const second = spawnChild(env);
      await withTimeout(second.ready, CHILD_START_TIMEOUT_MS, () => `second child ready ${context()}`);
      const restartedAt = Date.now();
      const acked = new Set(first.acked);
      const deadline = restartedAt + DELIVERY_DEADLINE_MS;
      let missing: number[] = [];
      let stats = { queued: -1, active: -1 };
      for (;;) {
        const deliveredSeqs = new Set(sink.messages.map(seqOf));
        missing = [...acked].filter((seq) => !deliveredSeqs.has(seq));
        if (missing.length === 0) {
          const { queued, active } = await second.stats();
          stats = { queued, active };
          if (stats.queued === 0 && stats.active === 0) break;
        }
        if (Date.now() > deadline) break;
        await sleep(50);
      }
      facts.queueAtEnd = stats;
      facts.msToDrainAfterRestart = Date.now() - restartedAt;

      // 3. stop the restarted server cleanly
      second.process.kill('SIGTERM');
      const secondExit = await withTimeout(second.exited, CHILD_EXIT_TIMEOUT_MS, () => `second child stop ${context()}`);

      // 4. what arrived at the MX, from each run of the server
      const unlabelled: string[] = [];
      const misaddressed: string[] = [];
      const runs = [sink.messages.slice(0, deliveredBeforeRestart), sink.messages.slice(deliveredBeforeRestart)].map((messages) => {
        const counts = new Map<number, number>();
        for (const message of messages) {
          const seq = seqOf(message);
          if (seq === undefined) {
            unlabelled.push(message.raw.subarray(0, 200).toString());
            continue;
          }
          counts.set(seq, (counts.get(seq) ?? 0) + 1);
          if (message.rcptTo.length !== 1 || message.rcptTo[0] !== `rcpt${seq}@dest.test`) misaddressed.push(`#${seq} to ${message.rcptTo.join(',')}`);
        }
        return counts;
      });
      const [beforeKill, afterRestart] = runs as [Map<number, number>, Map<number, number>];
      const twiceInOneRun = runs.flatMap((counts, run) => [...counts].filter(([, count]) => count > 1).map(([seq, count]) => `run ${run + 1}: #${seq} x${count}`));
      const redelivered = [...afterRestart.keys()].filter((seq) => beforeKill.has(seq)).sort((a, b) => a - b);
      const delivered = new Set([...beforeKill.keys(), ...afterRestart.keys()]);
      const neverSubmitted = [...delivered].filter((seq) => !first.started.has(seq));
      const unconfirmedSeq = Number(/^rcpt(\d+)@/.exec(String(facts.unconfirmedAtKill))?.[1]);
      facts.deliveredBeforeRestart = deliveredBeforeRestart;
      facts.deliveredAfterRestart = sink.messages.length - deliveredBeforeRestart;
      facts.deliveredNotAcked = [...delivered].filter((seq) => !acked.has(seq)).length;
      facts.redelivered = redelivered;
      if (process.env.CRASH_TEST_VERBOSE) console.log(`      crash run ${iteration}: ${context()}`);

      assert.deepEqual(missing, [], `every acknowledged message is delivered ${context()}`);
      assert.deepEqual(stats, { queued: 0, active: 0 }, `the restarted server emptied its queue ${context()}`);
      assert.deepEqual(unlabelled, [], `every message at the MX carries X-Test-Seq ${context()}`);
      assert.deepEqual(neverSubmitted, [], `nothing was delivered that was never submitted ${context()}`);
      assert.deepEqual(misaddressed, [], `each message went to its own recipient only ${context()}`);
      assert.deepEqual(twiceInOneRun, [], `no run of the server delivers a message twice ${context()}`);
      assert.ok(
        redelivered.length <= MAX_CONNECTIONS_PER_DOMAIN,
        `at most the ${MAX_CONNECTIONS_PER_DOMAIN} transactions in flight at the kill are delivered again; got ${redelivered.length} ${context()}`,
      );
      // the message whose 250 never reached the killed server was still queued, so it went out again
      assert.ok(redelivered.includes(unconfirmedSeq), `the message at the MX but unconfirmed at the kill is sent again ${context()}`);
      assert.deepEqual(secondExit, { code: 0, signal: null }, `the restarted server stops cleanly on SIGTERM ${context()} output: ${second.output.join('')}`);
    });
  }
});
