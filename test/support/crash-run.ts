/**
 * One kill -9 run, shared by the crash test (test/core/spool/crash.test.ts,
 * a few runs in `npm test`) and the soak (`npm run soak`, many runs): Outpost
 * runs in a child process that submits messages itself (outpost.submit()) and
 * takes REST sends (POST /v1/mail/send, DKIM-signed) at the same time, while
 * delivering to a real MX; the child is killed with SIGKILL at a random moment
 * (inside the MX's DATA handler, so one message is at the MX but unconfirmed),
 * restarted on the same data dir, and everything that reached the MX is
 * accounted for. (SMTP submission is not in the mix yet.)
 * The run only observes and reports; callers decide what is a failure.
 * It starts and stops its own DNS server, MX and children, and removes its data dir.
 */
import { rm } from 'node:fs/promises';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { runHttpLoad, type LoadResult } from './http-load.js';
import { startMxServer, type ReceivedEnvelope, type ReceivedMessage, type TestMxServer } from './mx-server.js';
import { makeDataDir, testEnv } from './outpost.js';
import { OutpostChild, withTimeout, type ChildExit } from './outpost-process.js';
import { prepareRestSender, SENDER, SENDING_ZONE } from './rest-sender.js';
import { seededRandom } from './seeded-random.js';

export interface CrashRunOptions {
  seed: number;
  /** Messages the child submits (one recipient each). */
  messages?: number;
  /** The kill comes once between these many submissions are acknowledged. */
  killAfterMinAcks?: number;
  killAfterMaxAcks?: number;
  /** Open connections to the destination, hence transactions in flight at most. */
  maxConnectionsPerDomain?: number;
  /** Pace of the child's submissions. */
  submitIntervalMs?: number;
  deliveryDeadlineMs?: number;
  /** REST sends made alongside (4 at a time, until the kill or this many); 0 = none. Default 100. */
  restSends?: number;
}

/** What became of the REST sends of the killed server. */
export interface RestAccount {
  sent: number;
  /** Sends answered 200 (by index). */
  acked: number[];
  /** Answers other than 200 (a kill shows as a network error, which is not listed here). */
  otherAnswers: string[];
  networkErrors: number;
  /** Acknowledged sends that never reached the MX. */
  missing: number[];
  redelivered: number[];
  twiceInOneRun: string[];
  misaddressed: string[];
  /** Delivered sends that were never made. */
  neverSent: number[];
}

export interface CrashRunReport {
  /** Everything worth printing about the run (seed, kill point, counts, timings). */
  facts: Record<string, unknown>;
  messages: number;
  maxConnectionsPerDomain: number;
  killAfter: number;
  firstExit: ChildExit;
  secondExit: ChildExit;
  /** Submissions the first child acknowledged (durably queued) before the kill. */
  acked: number[];
  /** Submissions that failed (none expected: the spool works). */
  submitFailures: string[];
  /** Acknowledged messages that never reached the MX. */
  missing: number[];
  /** Queue of the restarted server at the end. */
  queueAtEnd: { queued: number; active: number };
  /** Messages delivered by both runs of the server. */
  redelivered: number[];
  /** `run N: #seq xK`: a message one run of the server delivered more than once. */
  twiceInOneRun: string[];
  /** Messages at the MX without an X-Test-Seq header. */
  unlabelled: string[];
  /** Messages that went to someone other than their own one recipient. */
  misaddressed: string[];
  /** Delivered messages the child never started to submit. */
  neverSubmitted: number[];
  /** The message at the MX whose 250 the killed server never saw (undefined if the kill came another way, or it was a REST send). */
  unconfirmedSeq: number | undefined;
  /** That unconfirmed message, whichever way it was submitted, was delivered again after the restart. */
  unconfirmedRedelivered: boolean;
  rest: RestAccount;
  /** The end of what both children printed (empty when they ran silently, as they should). */
  childOutput: string;
}

const CHILD_START_TIMEOUT_MS = 20_000;
const CHILD_EXIT_TIMEOUT_MS = 10_000;

function headerOf(message: ReceivedMessage): string {
  const headerEnd = message.raw.indexOf('\r\n\r\n');
  return message.raw.subarray(0, headerEnd === -1 ? message.raw.length : headerEnd).toString('latin1');
}

/** The X-Test-Seq header of a received message (the child's own submissions), or undefined. */
export function seqOf(message: ReceivedMessage): number | undefined {
  const match = /^X-Test-Seq:[ \t]*(\d+)[ \t]*$/im.exec(headerOf(message));
  return match ? Number(match[1]) : undefined;
}

/** n of a REST send's `Subject: crash rest <n>`, or undefined. */
export function restIndexOf(message: ReceivedMessage): number | undefined {
  const match = /^Subject: crash rest (\d+)[ \t]*$/im.exec(headerOf(message));
  return match ? Number(match[1]) : undefined;
}

/** Per run of the server: how often each key arrived. */
function countPerRun<K>(runs: ReceivedMessage[][], keyOf: (message: ReceivedMessage) => K | undefined, misaddressed: (key: K, message: ReceivedMessage) => string | undefined, problems: string[]): Map<K, number>[] {
  return runs.map((received) => {
    const counts = new Map<K, number>();
    for (const message of received) {
      const key = keyOf(message);
      if (key === undefined) continue;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      const problem = misaddressed(key, message);
      if (problem) problems.push(problem);
    }
    return counts;
  });
}

function twiceIn(runs: Map<unknown, number>[]): string[] {
  return runs.flatMap((counts, run) => [...counts].filter(([, count]) => count > 1).map(([key, count]) => `run ${run + 1}: #${String(key)} x${count}`));
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function runCrashIteration(options: CrashRunOptions): Promise<CrashRunReport> {
  const messages = options.messages ?? 200;
  const killAfterMin = options.killAfterMinAcks ?? 40;
  const killAfterMax = options.killAfterMaxAcks ?? 160;
  const maxConnectionsPerDomain = options.maxConnectionsPerDomain ?? 4;
  const submitIntervalMs = options.submitIntervalMs ?? 10;
  const deliveryDeadlineMs = options.deliveryDeadlineMs ?? 30_000;
  const restSends = options.restSends ?? 100;
  const random = seededRandom(options.seed);
  const killAfter = killAfterMin + Math.floor(random() * (killAfterMax - killAfterMin + 1));
  const facts: Record<string, unknown> = { seed: options.seed, killAfter };
  const context = () => JSON.stringify(facts);

  let dns: TestDnsServer | undefined;
  let mx: TestMxServer | undefined;
  let dataDir: string | undefined;
  const children: OutpostChild[] = [];
  try {
    dns = await startDnsServer({
      'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'mx.dest.test': { A: ['127.0.0.1'] },
      ...SENDING_ZONE,
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
    dataDir = await makeDataDir();
    const env = {
      ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }),
      OUTPOST_LOG_LEVEL: 'silent',
      OUTPOST_API_RATE_LIMIT: '0',
      CHILD_MAX_CONNECTIONS_PER_DOMAIN: String(maxConnectionsPerDomain),
      CHILD_MAX_MESSAGES_PER_CONNECTION: '1',
    };

    // 1. submit (paced, so delivery is under way), kill -9 at the first DATA
    //    the MX receives once `killAfter` submissions are acknowledged; REST sends go on meanwhile
    const first = new OutpostChild({
      env: {
        ...env,
        CHILD_SUBMIT_COUNT: String(messages),
        CHILD_SUBMIT_CONCURRENCY: '8',
        CHILD_SUBMIT_INTERVAL_MS: String(submitIntervalMs),
        CHILD_SUBMIT_ON_REQUEST: '1',
      },
    });
    children.push(first);
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
    let restLoad: Promise<LoadResult> = Promise.resolve({ records: [], wallMs: 0 });
    if (restSends > 0) {
      const sender = await prepareRestSender(first, dns);
      restLoad = runHttpLoad({
        address: first.httpAddress!,
        path: '/v1/mail/send',
        headers: sender.headers,
        bodyFor: (index) => ({ from: SENDER, to: [`rest${index}@dest.test`], subject: `crash rest ${index}`, text: 'Hello from the crash test.' }),
        concurrency: 4,
        requests: restSends,
        deadlineMs: deliveryDeadlineMs,
        stop: () => !first.running,
      });
    }
    first.startSubmitting();
    firstReadyAt = Date.now();
    const firstExit = await withTimeout(first.exited, deliveryDeadlineMs, () => `first child killed ${context()} output: ${first.output.join('')}`);
    const restRecords = (await restLoad).records;
    onSinkData = () => {};
    facts.acked = first.acked.length;
    facts.submitted = first.started.size;

    // 2. restart on the same data dir; wait until every acknowledged message is at the MX and the queue is empty
    const deliveredBeforeRestart = sink.messages.length;
    const second = new OutpostChild({ env });
    children.push(second);
    await withTimeout(second.ready, CHILD_START_TIMEOUT_MS, () => `second child ready ${context()}`);
    const restartedAt = Date.now();
    const acked = new Set(first.acked);
    const restAcked = new Set(restRecords.filter((record) => record.status === 200).map((record) => record.index));
    const deadline = restartedAt + deliveryDeadlineMs;
    let missing: number[] = [];
    let restMissing: number[] = [];
    let queueAtEnd = { queued: -1, active: -1 };
    for (;;) {
      const deliveredSeqs = new Set(sink.messages.map(seqOf));
      const deliveredRest = new Set(sink.messages.map(restIndexOf));
      missing = [...acked].filter((seq) => !deliveredSeqs.has(seq));
      restMissing = [...restAcked].filter((index) => !deliveredRest.has(index));
      if (missing.length === 0 && restMissing.length === 0) {
        const { queued, active } = await second.stats();
        queueAtEnd = { queued, active };
        if (queued === 0 && active === 0) break;
      }
      if (Date.now() > deadline) break;
      await pause(50);
    }
    facts.queueAtEnd = queueAtEnd;
    facts.msToDrainAfterRestart = Date.now() - restartedAt;

    // 3. stop the restarted server cleanly
    const secondExit = await second.stop('SIGTERM', CHILD_EXIT_TIMEOUT_MS);

    // 4. what arrived at the MX, from each run of the server
    const runs = [sink.messages.slice(0, deliveredBeforeRestart), sink.messages.slice(deliveredBeforeRestart)];
    const unlabelled = sink.messages.filter((message) => seqOf(message) === undefined && restIndexOf(message) === undefined).map((message) => message.raw.subarray(0, 200).toString());
    const misaddressed: string[] = [];
    const expectOnly = (address: string, message: ReceivedMessage, label: string) =>
      message.rcptTo.length !== 1 || message.rcptTo[0] !== address ? `${label} to ${message.rcptTo.join(',')}` : undefined;
    const [beforeKill, afterRestart] = countPerRun(runs, seqOf, (seq, message) => expectOnly(`rcpt${seq}@dest.test`, message, `#${seq}`), misaddressed) as [Map<number, number>, Map<number, number>];
    const restMisaddressed: string[] = [];
    const [restBefore, restAfter] = countPerRun(runs, restIndexOf, (index, message) => expectOnly(`rest${index}@dest.test`, message, `rest #${index}`), restMisaddressed) as [Map<number, number>, Map<number, number>];
    const redelivered = [...afterRestart.keys()].filter((seq) => beforeKill.has(seq)).sort((a, b) => a - b);
    const restRedelivered = [...restAfter.keys()].filter((index) => restBefore.has(index)).sort((a, b) => a - b);
    const delivered = new Set([...beforeKill.keys(), ...afterRestart.keys()]);
    const restDelivered = new Set([...restBefore.keys(), ...restAfter.keys()]);
    const unconfirmed = String(facts.unconfirmedAtKill ?? '');
    const unconfirmedSeqMatch = /^rcpt(\d+)@/.exec(unconfirmed);
    const unconfirmedRestMatch = /^rest(\d+)@/.exec(unconfirmed);
    const unconfirmedRedelivered = unconfirmedSeqMatch
      ? redelivered.includes(Number(unconfirmedSeqMatch[1]))
      : unconfirmedRestMatch
        ? restRedelivered.includes(Number(unconfirmedRestMatch[1]))
        : false;
    facts.deliveredBeforeRestart = deliveredBeforeRestart;
    facts.deliveredAfterRestart = sink.messages.length - deliveredBeforeRestart;
    facts.deliveredNotAcked = [...delivered].filter((seq) => !acked.has(seq)).length + [...restDelivered].filter((index) => !restAcked.has(index)).length;
    facts.redelivered = redelivered;
    facts.rest = { sent: restRecords.length, acked: restAcked.size, redelivered: restRedelivered };

    const rest: RestAccount = {
      sent: restRecords.length,
      acked: [...restAcked].sort((a, b) => a - b),
      otherAnswers: restRecords.filter((record) => record.status !== undefined && record.status !== 200).map((record) => `#${record.index}: ${record.status} ${JSON.stringify(record.body)}`),
      networkErrors: restRecords.filter((record) => record.status === undefined).length,
      missing: restMissing,
      redelivered: restRedelivered,
      twiceInOneRun: twiceIn([restBefore, restAfter]),
      misaddressed: restMisaddressed,
      neverSent: [...restDelivered].filter((index) => index >= restRecords.length),
    };

    return {
      facts,
      messages,
      maxConnectionsPerDomain,
      killAfter,
      firstExit,
      secondExit,
      acked: first.acked.slice(),
      submitFailures: first.failures.slice(),
      missing,
      queueAtEnd,
      redelivered,
      twiceInOneRun: twiceIn([beforeKill, afterRestart]),
      unlabelled,
      misaddressed,
      neverSubmitted: [...delivered].filter((seq) => !first.started.has(seq)),
      unconfirmedSeq: unconfirmedSeqMatch ? Number(unconfirmedSeqMatch[1]) : undefined,
      unconfirmedRedelivered,
      rest,
      childOutput: children.map((child) => child.output.join('')).join('\n').slice(-4000),
    };
  } finally {
    // only the processes this run spawned, by their own handle (pid)
    for (const child of children) await child.dispose(CHILD_EXIT_TIMEOUT_MS);
    await mx?.close();
    await dns?.close();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  }
}
