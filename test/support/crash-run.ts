/**
 * One kill -9 run, shared by the crash test (test/core/spool/crash.test.ts,
 * a few runs in `npm test`) and the soak (`npm run soak`, many runs): Outpost
 * runs in a child process that submits messages itself (outpost.submit()),
 * takes REST sends (POST /v1/mail/send, DKIM-signed) and SMTP submissions
 * (STARTTLS + AUTH PLAIN with the account's API key) at the same time, while
 * delivering to a real MX; the child is killed with SIGKILL at a random moment
 * (inside the MX's DATA handler, so one message is at the MX but unconfirmed),
 * restarted on the same data dir, and everything that reached the MX is
 * accounted for (crash-accounting.ts).
 * The run only observes and reports; callers decide what is a failure.
 * It starts and stops its own DNS server, MX and children, and removes its data dir.
 */
import { rm } from 'node:fs/promises';
import { deliveriesOf, missingAt, OWN_SUBMISSIONS, REST_SENDS, SMTP_SENDS, SOURCES, unlabelled, type Deliveries } from './crash-accounting.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { runHttpLoad, type LoadResult } from './http-load.js';
import { startMxServer, type ReceivedEnvelope, type TestMxServer } from './mx-server.js';
import { makeDataDir, rawMessage, testEnv } from './outpost.js';
import { OutpostChild, withTimeout, type ChildExit } from './outpost-process.js';
import { prepareRestSender, SENDER, SENDING_ZONE } from './rest-sender.js';
import { seededRandom } from './seeded-random.js';
import { runSmtpLoad, type SmtpLoadResult } from './smtp-load.js';

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
  /** SMTP submissions made alongside (over `smtpSessions` sessions, until the kill or this many); 0 = none. Default 60. */
  smtpSends?: number;
  /** Default 3. */
  smtpSessions?: number;
  /** Pace of the SMTP submissions, over all sessions (default 25 ms: the 60 span the latest kill point, about 1.6 s in). */
  smtpIntervalMs?: number;
  /**
   * OUTPOST_WORKERS (default 1). With more, the child is the primary and the workers
   * take REST and SMTP; the child submits nothing itself, the kill comes once
   * `killAfter` REST and SMTP sends are acknowledged, and SIGKILL goes to the primary
   * (the workers follow it down when their IPC channel closes).
   */
  workers?: number;
}

/** What became of the messages sent to the killed server over one front (REST or SMTP). */
export interface FrontAccount {
  /** Messages started (a REST request sent, an SMTP transaction begun). */
  sent: number;
  /** Messages acknowledged (HTTP 200, SMTP 250), by index. */
  acked: number[];
  /** Answers other than the acknowledgement (a kill shows as a connection error, which is not listed here). */
  otherAnswers: string[];
  /** Messages cut off without an answer. */
  networkErrors: number;
  /** Acknowledged messages that never reached the MX. */
  missing: number[];
  /** Delivered by the killed server and again after the restart. */
  redelivered: number[];
  twiceInOneRun: string[];
  misaddressed: string[];
  /** Delivered messages that were never sent. */
  neverSent: number[];
}

/** The SMTP front also says when a connection failed while the server was still running (it never should). */
export interface SmtpAccount extends FrontAccount {
  /** Sessions that could not connect or authenticate, and messages cut off without a reply, before the kill. */
  failedBeforeKill: string[];
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
  /** Messages at the MX that are none of the child's, REST's or SMTP's. */
  unlabelled: string[];
  /** Messages that went to someone other than their own one recipient. */
  misaddressed: string[];
  /** Delivered messages the child never started to submit. */
  neverSubmitted: number[];
  /** The message at the MX whose 250 the killed server never saw (undefined if the kill came another way, or it was a REST or SMTP send). */
  unconfirmedSeq: number | undefined;
  /** That unconfirmed message, whichever way it was submitted, was delivered again after the restart. */
  unconfirmedRedelivered: boolean;
  rest: FrontAccount;
  smtp: SmtpAccount;
  /** The end of what both children printed (empty when they ran silently, as they should). */
  childOutput: string;
}

const CHILD_START_TIMEOUT_MS = 20_000;
const CHILD_EXIT_TIMEOUT_MS = 10_000;
const NO_LOAD = { records: [], sessionFailures: [], wallMs: 0 };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function frontAccount(deliveries: Deliveries, answers: { sent: number[]; acked: number[]; otherAnswers: string[]; networkErrors: number }, missing: number[]): FrontAccount {
  const sent = new Set(answers.sent);
  return {
    sent: sent.size,
    acked: answers.acked.slice().sort((a, b) => a - b),
    otherAnswers: answers.otherAnswers,
    networkErrors: answers.networkErrors,
    missing,
    redelivered: deliveries.redelivered,
    twiceInOneRun: deliveries.twiceInOneRun,
    misaddressed: deliveries.misaddressed,
    neverSent: [...deliveries.delivered].filter((index) => !sent.has(index)),
  };
}

export async function runCrashIteration(options: CrashRunOptions): Promise<CrashRunReport> {
  const messages = options.messages ?? 200;
  const killAfterMin = options.killAfterMinAcks ?? 40;
  const killAfterMax = options.killAfterMaxAcks ?? 160;
  const maxConnectionsPerDomain = options.maxConnectionsPerDomain ?? 4;
  const submitIntervalMs = options.submitIntervalMs ?? 10;
  const deliveryDeadlineMs = options.deliveryDeadlineMs ?? 30_000;
  const restSends = options.restSends ?? 100;
  const smtpSends = options.smtpSends ?? 60;
  const smtpSessions = options.smtpSessions ?? 3;
  const smtpIntervalMs = options.smtpIntervalMs ?? 25;
  const workers = options.workers ?? 1;
  const random = seededRandom(options.seed);
  const killAfter = killAfterMin + Math.floor(random() * (killAfterMax - killAfterMin + 1));
  const facts: Record<string, unknown> = { seed: options.seed, killAfter, workers };
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
      OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN: String(maxConnectionsPerDomain),
      OUTPOST_DELIVERY_MAX_MESSAGES_PER_CONNECTION: '1',
      OUTPOST_WORKERS: String(workers),
    };
    // with workers the primary runs no pipeline: everything comes in over REST and SMTP
    const ownSubmissions = workers > 1 ? 0 : messages;
    let frontAcks = 0;

    // 1. submit (paced, so delivery is under way), kill -9 at the first DATA the MX
    //    receives once `killAfter` submissions are acknowledged; REST and SMTP sends go on meanwhile
    const first = new OutpostChild({
      env: {
        ...env,
        ...(ownSubmissions > 0
          ? { CHILD_SUBMIT_COUNT: String(ownSubmissions), CHILD_SUBMIT_CONCURRENCY: '8', CHILD_SUBMIT_INTERVAL_MS: String(submitIntervalMs), CHILD_SUBMIT_ON_REQUEST: '1' }
          : {}),
      },
    });
    children.push(first);
    let firstReadyAt = 0;
    let killed = false;
    onSinkData = (envelope) => {
      // one process: the child's own acknowledged submissions decide; with workers (no own submissions) the REST and SMTP ones
      if (killed || !first.running || (ownSubmissions > 0 ? first.acked.length : frontAcks) < killAfter) return;
      first.process.kill('SIGKILL');
      killed = true;
      facts.ackedAtKill = first.acked.length;
      facts.submittedAtKill = first.started.size;
      facts.deliveredAtKill = sink.messages.length;
      facts.unconfirmedAtKill = envelope.rcptTo.join(',');
      facts.msFromReadyToKill = Date.now() - firstReadyAt;
    };
    await withTimeout(first.ready, CHILD_START_TIMEOUT_MS, () => `first child ready ${context()}`);
    let restLoad: Promise<LoadResult> = Promise.resolve({ records: [], wallMs: 0 });
    let smtpLoad: Promise<SmtpLoadResult> = Promise.resolve(NO_LOAD);
    // an SMTP failure without a reply is the kill's doing only once the kill was sent
    const smtpFailedBeforeKill: string[] = [];
    if (restSends > 0 || smtpSends > 0) {
      const sender = await prepareRestSender(first, dns);
      if (restSends > 0) {
        restLoad = runHttpLoad({
          address: first.httpAddress!,
          path: '/v1/mail/send',
          headers: sender.headers,
          bodyFor: (index) => ({ from: SENDER, to: [REST_SENDS.recipientOf(index)], subject: `crash rest ${index}`, text: 'Hello from the crash test.' }),
          concurrency: 4,
          requests: restSends,
          deadlineMs: deliveryDeadlineMs,
          stop: () => !first.running,
          onRecord: (record) => {
            if (record.status === 200) frontAcks++;
          },
        });
      }
      if (smtpSends > 0) {
        smtpLoad = runSmtpLoad({
          address: first.submissionAddress!,
          apiKey: sender.apiKey,
          sessions: smtpSessions,
          messages: smtpSends,
          intervalMs: smtpIntervalMs,
          messageFor: (index) => {
            const to = [SMTP_SENDS.recipientOf(index)];
            return { from: SENDER, to, raw: rawMessage({ from: SENDER, to, subject: `crash smtp ${index}`, body: 'Hello from the crash test, over SMTP.\r\n' }) };
          },
          deadlineMs: deliveryDeadlineMs,
          stop: () => killed || !first.running,
          onRecord: (record) => {
            if (record.code === 250) frontAcks++;
            if (record.code === undefined && !killed) smtpFailedBeforeKill.push(`smtp #${record.index}: ${record.error}`);
          },
          onSessionFailure: (failure) => {
            if (!killed) smtpFailedBeforeKill.push(`session ${failure.session}: ${failure.response ?? failure.error}`);
          },
        });
      }
    }
    first.startSubmitting();
    firstReadyAt = Date.now();
    const firstExit = await withTimeout(first.exited, deliveryDeadlineMs, () => `first child killed ${context()} output: ${first.output.join('')}`);
    const restRecords = (await restLoad).records;
    const smtpResult = await smtpLoad;
    onSinkData = () => {};
    facts.acked = first.acked.length;
    facts.submitted = first.started.size;

    // 2. restart on the same data dir; wait until every acknowledged message is at the MX and the queue is empty
    const deliveredBeforeRestart = sink.messages.length;
    const second = new OutpostChild({ env });
    children.push(second);
    await withTimeout(second.ready, CHILD_START_TIMEOUT_MS, () => `second child ready ${context()}`);
    const restartedAt = Date.now();
    const acked = new Map([
      [OWN_SUBMISSIONS, first.acked],
      [REST_SENDS, restRecords.filter((record) => record.status === 200).map((record) => record.index)],
      [SMTP_SENDS, smtpResult.records.filter((record) => record.code === 250).map((record) => record.index)],
    ]);
    const missingNow = () => new Map(SOURCES.map((from) => [from, missingAt(sink.messages, from, acked.get(from)!)]));
    const deadline = restartedAt + deliveryDeadlineMs;
    let missing: ReturnType<typeof missingNow>;
    let queueAtEnd = { queued: -1, active: -1 };
    for (;;) {
      missing = missingNow();
      if ([...missing.values()].every((indexes) => indexes.length === 0)) {
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
    const deliveries = new Map(SOURCES.map((from) => [from, deliveriesOf(from, runs)]));
    const own = deliveries.get(OWN_SUBMISSIONS)!;
    const rest = frontAccount(
      deliveries.get(REST_SENDS)!,
      {
        sent: restRecords.map((record) => record.index),
        acked: acked.get(REST_SENDS)!,
        otherAnswers: restRecords.filter((record) => record.status !== undefined && record.status !== 200).map((record) => `#${record.index}: ${record.status} ${JSON.stringify(record.body)}`),
        networkErrors: restRecords.filter((record) => record.status === undefined).length,
      },
      missing.get(REST_SENDS)!,
    );
    const smtp: SmtpAccount = {
      ...frontAccount(
        deliveries.get(SMTP_SENDS)!,
        {
          sent: smtpResult.records.map((record) => record.index),
          acked: acked.get(SMTP_SENDS)!,
          otherAnswers: smtpResult.records.filter((record) => record.code !== undefined && record.code !== 250).map((record) => `#${record.index}: ${record.response}`),
          networkErrors: smtpResult.records.filter((record) => record.code === undefined).length,
        },
        missing.get(SMTP_SENDS)!,
      ),
      failedBeforeKill: smtpFailedBeforeKill,
    };
    const unconfirmed = String(facts.unconfirmedAtKill ?? '');
    const unconfirmedRedelivered = SOURCES.some((from) => {
      const index = from.indexInAddress(unconfirmed);
      return index !== undefined && deliveries.get(from)!.redelivered.includes(index);
    });
    facts.deliveredBeforeRestart = deliveredBeforeRestart;
    facts.deliveredAfterRestart = sink.messages.length - deliveredBeforeRestart;
    facts.deliveredNotAcked = SOURCES.reduce((sum, from) => {
      const ackedHere = new Set(acked.get(from));
      return sum + [...deliveries.get(from)!.delivered].filter((index) => !ackedHere.has(index)).length;
    }, 0);
    facts.redelivered = own.redelivered;
    facts.rest = { sent: rest.sent, acked: rest.acked.length, redelivered: rest.redelivered };
    facts.smtp = { sent: smtp.sent, acked: smtp.acked.length, networkErrors: smtp.networkErrors, redelivered: smtp.redelivered };

    return {
      facts,
      messages,
      maxConnectionsPerDomain,
      killAfter,
      firstExit,
      secondExit,
      acked: first.acked.slice(),
      submitFailures: first.failures.slice(),
      missing: missing.get(OWN_SUBMISSIONS)!,
      queueAtEnd,
      redelivered: own.redelivered,
      twiceInOneRun: own.twiceInOneRun,
      unlabelled: unlabelled(sink.messages),
      misaddressed: own.misaddressed,
      neverSubmitted: [...own.delivered].filter((seq) => !first.started.has(seq)),
      unconfirmedSeq: OWN_SUBMISSIONS.indexInAddress(unconfirmed),
      unconfirmedRedelivered,
      rest,
      smtp,
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
