/**
 * End-to-end delivery, side by side with Postfix on this machine, in one run:
 * N messages (default 20,000, ~2 KB) with 1 and with 5 recipients, 20 parallel
 * sessions, delivered over loopback to Postfix's smtp-sink, which counts them.
 * Each row is a fresh server (and sink) fed one way:
 *
 *   Postfix via smtp-source   smtp-source -s 20 -m N -l 2048 [-r 5], plain SMTP, a new
 *                             connection per message (the standard tool; it can do
 *                             neither STARTTLS nor AUTH)
 *   Postfix via TLS client    bench/lib/smtp-load.ts: 20 sessions, EHLO, STARTTLS,
 *                             messages back to back on each connection, pipelined;
 *                             no AUTH (Postfix relays for mynetworks)
 *   Outpost via TLS client    the same client and messages, plus AUTH PLAIN with the
 *                             account's API key, on the submission port (587 role);
 *                             DKIM-signed (RSA-2048)
 *   Outpost unsigned          the same, with the dkim-sign plugin left out
 *                             (OutpostOptions.omitBuiltinPlugins), as Postfix signs nothing
 *   Outpost via REST          (--outpost-over smtp,rest) 20 keep-alive HTTP clients
 *                             POST /v1/mail/send with the same body text
 *
 * The like-for-like pairs are the TLS-client rows: same client, same bytes,
 * both servers doing STARTTLS with a self-signed EC P-256 certificate; Outpost
 * additionally checks AUTH once per connection, DKIM-signs (RSA-2048, or not
 * in the unsigned row) and fsyncs every receipt, Postfix fsyncs its queue
 * files. Their ratios are the ones reported as Outpost / Postfix.
 *
 * Reported per run: accepted msg/s (submission wall time, connections
 * included), delivered msg/s (from the first connection until the sink has
 * counted the last message), server CPU seconds per 1,000 messages (from
 * /proc: Outpost's process; for Postfix master and every daemon it forked,
 * reaped ones included; never the load tools or the sink), peak memory
 * (sampled sums of RSS and of PSS over the server's processes), latency per
 * message for the Node clients (also split into envelope, MAIL to the 354, and
 * data, body to the 250), the Node client's own CPU (it shares the machine
 * with the server; smtp-source's is not measured), and the cores kept busy by
 * anything outside the benchmark meanwhile, so a noisy machine shows. The rows
 * of one recipient count run back to back, Postfix first, so the pair that is
 * compared runs minutes apart; `--rounds N` repeats them N times, flipping the
 * order each round, and reports the median ratio with its range.
 *
 *   npm run bench:e2e -- --messages 20000 --sessions 20 --recipients 1,5
 *   npm run bench:e2e -- --outpost-over smtp,smtp-unsigned,rest  # also Outpost over REST
 *   npm run bench:e2e -- --rounds 3                # every pair three times, alternating
 *   npm run bench:e2e -- --postfix-over tls        # only the TLS-client Postfix rows
 *   npm run bench:e2e -- --skip-postfix            # Outpost only (no root / no apt)
 *
 * Bounded: N messages per run and a 10-minute deadline per run; loopback only.
 * Postfix needs root; the Debian package is installed if missing.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { percentile, runHttpLoad } from '../test/support/http-load.js';
import { SENDER } from '../test/support/rest-sender.js';
import { SINK_DOMAIN, sinkRecipients, smtpSourceLikeMessage, smtpSourceLikeText, startBenchOutpost, type BenchOutpost } from './lib/bench-outpost.js';
import { freePort, startCountingSink, type CountingSink } from './lib/counting-sink.js';
import { postfixUnavailable, runSmtpSource, startPostfix } from './lib/postfix-peer.js';
import { machineBusySeconds, megabytes, peakRssOf, treeCpuSeconds, UsageMonitor } from './lib/process-usage.js';
import { recordResult, round, sectionHeader } from './lib/results.js';
import { runSmtpLoad, type SmtpLoadResult } from './lib/smtp-load.js';

const POSTFIX_PATHS = ['smtp-source', 'tls'] as const;
const OUTPOST_PATHS = ['smtp', 'smtp-unsigned', 'rest'] as const;

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    sessions: { type: 'string', default: '20' },
    recipients: { type: 'string', default: '1,5' },
    /** smtp-source (plain SMTP, the standard tool) and/or tls (the TLS load client). */
    'postfix-over': { type: 'string', default: POSTFIX_PATHS.join(',') },
    /** smtp (the TLS+AUTH load client, like for like with Postfix's tls row), smtp-unsigned (the same, DKIM left out), rest. */
    'outpost-over': { type: 'string', default: 'smtp,smtp-unsigned' },
    /** Each recipient count's sequence of rows this many times over, alternating servers (drift shows as spread). */
    rounds: { type: 'string', default: '1' },
    /** OUTPOST_WORKERS of the Outpost rows: each row runs once per count (`1,2` gives the scaling row). */
    workers: { type: 'string', default: '1' },
    /** Built-in plugins every Outpost row leaves out (OUTPOST_DISABLED_PLUGINS), to see what one costs: e.g. scan-builtin,tracking. */
    'omit-plugins': { type: 'string', default: '' },
    'skip-postfix': { type: 'boolean', default: false },
    'skip-outpost': { type: 'boolean', default: false },
  },
});
const total = Number(values.messages);
const sessions = Number(values.sessions);
const recipientCounts = values.recipients.split(',').map(Number);
const rounds = Number(values.rounds);
const workerCounts = values.workers.split(',').map(Number);
if (workerCounts.some((count) => !(Number.isInteger(count) && count >= 1 && count <= 16))) throw new Error('--workers: a list of worker counts, 1 to 16 (e.g. 1,2)');
if (!(total > 0) || !(sessions > 0) || recipientCounts.some((count) => !(count >= 1 && count <= 100)) || !(Number.isInteger(rounds) && rounds >= 1 && rounds <= 10)) {
  throw new Error('bad --messages, --sessions, --recipients or --rounds (1 to 10)');
}
const postfixPaths = chosen(values['postfix-over'], POSTFIX_PATHS, '--postfix-over');
const outpostPaths = chosen(values['outpost-over'], OUTPOST_PATHS, '--outpost-over');
const RUN_DEADLINE_MS = 10 * 60_000;

function chosen<T extends string>(list: string, allowed: readonly T[], option: string): T[] {
  const names = list.split(',').map((name) => name.trim()).filter(Boolean);
  const unknown = names.filter((name) => !allowed.includes(name as T));
  if (unknown.length > 0 || names.length === 0) throw new Error(`${option}: expected a list of ${allowed.join(', ')}; got "${list}"`);
  return allowed.filter((name) => names.includes(name));
}

/** How a row's messages reached the server. */
type SubmissionPath = 'smtp-source' | 'tls-client' | 'tls-auth-client' | 'tls-auth-client-unsigned' | 'rest';

interface RunFigures {
  system: 'Postfix' | 'Outpost';
  /** OUTPOST_WORKERS (Outpost rows). */
  workers?: number;
  path: SubmissionPath;
  submittedOver: string;
  recipients: number;
  /** 1-based, with --rounds. */
  round: number;
  messages: number;
  /** Messages acknowledged to the client (250 / HTTP 200). */
  accepted: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  cpuSecondsPer1000: number;
  /** Cores kept busy on average by processes outside the benchmark during the run. */
  otherCores: number;
  /** Cores kept busy on average during the run: by the server (all its processes), by the load client and the sink, by the whole machine. */
  cores: { server: number; clientAndSink: number; machine: number };
  peakRssMb: number;
  peakPssMb: number;
  /** Per message, Node clients only (smtp-source reports none). */
  sendLatencyMs?: { p50: number; p95: number; p99: number };
  /** The Node load client's CPU per 1,000 messages (it runs in the bench process, on the same cores). */
  clientCpuSecondsPer1000?: number;
  notes: string[];
  [more: string]: unknown;
}

/** What a run measures around a load: the server's usage from before the first connection until the sink has it all. */
async function measure(
  rootPid: number,
  sink: CountingSink,
  load: () => Promise<{ accepted: number; wallMs: number }>,
): Promise<{ accepted: number; acceptedPerSecond: number; deliveredPerSecond: number; cpuSecondsPer1000: number; otherCores: number; cores: RunFigures['cores']; loadAverage: string; monitor: UsageMonitor }> {
  const loadBefore = os.loadavg()[0]!;
  // the bench process's tree holds the server (Outpost child, or postfix.sh → master → daemons), the sink and the load tool
  const machineBefore = machineBusySeconds();
  const benchTreeBefore = treeCpuSeconds(process.pid);
  const monitor = new UsageMonitor(rootPid);
  monitor.start();
  const started = Date.now();
  const { accepted, wallMs } = await load();
  const deliveredAt = await sink.reached(accepted, Math.max(1, started + RUN_DEADLINE_MS - Date.now()));
  const cpuSeconds = monitor.stop();
  const machineSeconds = machineBusySeconds() - machineBefore;
  const benchTreeSeconds = treeCpuSeconds(process.pid) - benchTreeBefore;
  const otherSeconds = machineSeconds - benchTreeSeconds;
  const wallSeconds = (Date.now() - started) / 1000;
  return {
    accepted,
    acceptedPerSecond: round(accepted / (wallMs / 1000)),
    deliveredPerSecond: round(accepted / ((deliveredAt - started) / 1000)),
    cpuSecondsPer1000: round((cpuSeconds / Math.max(1, accepted)) * 1000),
    // cores kept busy on average by processes outside the benchmark (other work sharing the machine)
    otherCores: round(Math.max(0, otherSeconds) / wallSeconds),
    cores: { server: round(cpuSeconds / wallSeconds), clientAndSink: round(Math.max(0, benchTreeSeconds - cpuSeconds) / wallSeconds), machine: round(machineSeconds / wallSeconds) },
    // the 1-minute load average before and after (the server's own processes count in it too)
    loadAverage: `${loadBefore.toFixed(1)} → ${os.loadavg()[0]!.toFixed(1)}`,
    monitor,
  };
}

/** The same SMTP load (bench/lib/smtp-load.ts) against either server. */
function tlsClientLoad(port: number, recipients: number, auth?: { user: string; pass: string }): Promise<SmtpLoadResult> {
  const to = sinkRecipients(recipients);
  return runSmtpLoad({
    host: '127.0.0.1',
    port,
    sessions,
    messages: total,
    envelope: { from: SENDER, to },
    messageFor: (index) => smtpSourceLikeMessage(SENDER, to, index),
    ...(auth ? { auth } : {}),
    deadlineMs: RUN_DEADLINE_MS,
  });
}

/** Latency, failures and client cost of a TLS-client run, for its row. */
function tlsClientFigures(load: SmtpLoadResult): Pick<RunFigures, 'sendLatencyMs' | 'clientCpuSecondsPer1000'> & Record<string, unknown> {
  return {
    sendLatencyMs: { p50: round(percentile(load.latenciesMs, 50)), p95: round(percentile(load.latenciesMs, 95)), p99: round(percentile(load.latenciesMs, 99)) },
    clientCpuSecondsPer1000: round((load.clientCpuSeconds / Math.max(1, load.accepted)) * 1000),
    // where a message's time goes: envelope (MAIL..354) and body (data..250), medians
    phaseP50Ms: { envelope: round(percentile(load.envelopeMs, 50)), data: round(percentile(load.dataMs, 50)) },
    sessionSetupMs: { p50: round(percentile(load.setupMs, 50)), max: round(load.setupMs.at(-1) ?? NaN) },
    connections: load.connections,
    tls: load.tls,
    failed: load.failed,
    rejectedRecipients: load.rejectedRecipients,
  };
}

function loadNotes(load: SmtpLoadResult): string[] {
  return load.failed > 0 ? [`${load.failed} messages failed (first: ${load.failures.join(' | ')})`] : [];
}

async function runPostfix(recipients: number, roundNo: number, over: (typeof POSTFIX_PATHS)[number]): Promise<RunFigures> {
  const sink = await startCountingSink();
  const peer = await startPostfix(sink.port).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  const defaults = 'Postfix 3.7 defaults: 20 connections per destination (slow start from 5), connection cache on demand, in_flow_delay 1s';
  try {
    if (over === 'smtp-source') {
      // without -d, smtp-source opens a new connection for every message (the TLS client keeps its 20)
      const args = ['-s', String(sessions), '-m', String(total), '-l', '2048', '-r', String(recipients), '-f', 'bench@source.test', '-t', `user@${SINK_DOMAIN}`, `127.0.0.1:${peer.port}`];
      const figures = await measure(peer.masterPid, sink, async () => ({ accepted: total, wallMs: await runSmtpSource(args, RUN_DEADLINE_MS) }));
      return {
        system: 'Postfix',
        path: 'smtp-source',
        submittedOver: `smtp-source -s ${sessions} -l 2048${recipients > 1 ? ` -r ${recipients}` : ''} (plain, a connection per message)`,
        recipients,
        round: roundNo,
        messages: total,
        ...postfixFigures(figures),
        sink: sink.kind,
        notes: [defaults, 'smtp-source without -d: one connection per message'],
      };
    }
    let load: SmtpLoadResult | undefined;
    const figures = await measure(peer.masterPid, sink, async () => (load = await tlsClientLoad(peer.port, recipients)));
    return {
      system: 'Postfix',
      path: 'tls-client',
      submittedOver: `TLS client: ${sessions} sessions, STARTTLS, no AUTH (mynetworks)`,
      recipients,
      round: roundNo,
      messages: total,
      ...postfixFigures(figures),
      ...tlsClientFigures(load!),
      sink: sink.kind,
      notes: [defaults, 'smtpd_tls_security_level = may, self-signed EC P-256 certificate', ...loadNotes(load!)],
    };
  } finally {
    await peer.stop();
    await sink.close();
  }
}

function postfixFigures(figures: Awaited<ReturnType<typeof measure>>) {
  const { monitor, ...rates } = figures;
  return { ...rates, peakRssMb: megabytes(monitor.peakRssBytes), peakPssMb: megabytes(monitor.peakPssBytes) };
}

const OUTPOST_NOTE = 'Outpost defaults: 10 connections per destination domain, idle sessions reused; logs at info to a file';

async function runOutpost(recipients: number, roundNo: number, over: (typeof OUTPOST_PATHS)[number], workers: number): Promise<RunFigures> {
  const sink = await startCountingSink();
  const submissionPort = await freePort();
  // every session opens unauthenticated from one address, so the per-address and unauthenticated limits follow --sessions
  const perIpLimit: Record<string, string> =
    sessions > 20
      ? { OUTPOST_SUBMISSION_MAX_CONNECTIONS_PER_IP: String(sessions), OUTPOST_SUBMISSION_MAX_CONNECTIONS: String(Math.max(200, sessions)), OUTPOST_SUBMISSION_MAX_UNAUTHENTICATED: String(Math.max(100, sessions)) }
      : {};
  // the unsigned rows leave the DKIM plugin out: like for like with Postfix, which signs nothing; --omit-plugins leaves out more
  const omitted = [...(over === 'smtp-unsigned' ? ['dkim-sign'] : []), ...values['omit-plugins'].split(',').filter(Boolean)];
  const leftOut: Record<string, string> = omitted.length > 0 ? { OUTPOST_DISABLED_PLUGINS: omitted.join(',') } : {};
  const server = await startBenchOutpost({ sinkPort: sink.port, env: { OUTPOST_SUBMISSION_PORT: String(submissionPort), OUTPOST_WORKERS: String(workers), ...perIpLimit, ...leftOut } }).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  try {
    const common = { system: 'Outpost' as const, workers, recipients, round: roundNo, messages: total, sink: sink.kind };
    const memory = (monitor: UsageMonitor) => ({
      peakRssMb: megabytes(Math.max(monitor.peakRssBytes, peakRssOf(server.pid))),
      peakPssMb: megabytes(monitor.peakPssBytes),
    });
    if (over !== 'rest') {
      let load: SmtpLoadResult | undefined;
      const { monitor, ...rates } = await measure(server.pid, sink, async () => (load = await tlsClientLoad(submissionPort, recipients, { user: 'bench', pass: server.sender!.apiKey })));
      const id = /queued as (\S+)/.exec(load!.firstReply ?? '')?.[1];
      return {
        ...common,
        path: over === 'smtp' ? 'tls-auth-client' : 'tls-auth-client-unsigned',
        submittedOver: `TLS client: ${sessions} sessions, STARTTLS, AUTH PLAIN (API key); ${over === 'smtp' ? 'DKIM RSA-2048' : 'no DKIM (plugin left out)'}`,
        ...rates,
        ...memory(monitor),
        ...tlsClientFigures(load!),
        messageBytes: id ? await messageSize(server, id) : undefined,
        notes: [OUTPOST_NOTE, ...(sessions > 20 ? [`OUTPOST_SUBMISSION_MAX_CONNECTIONS_PER_IP raised to ${sessions}`] : []), ...loadNotes(load!)],
      };
    }
    const body = { from: SENDER, to: sinkRecipients(recipients), subject: 'bench', text: smtpSourceLikeText() };
    let records: Awaited<ReturnType<typeof runHttpLoad>>['records'] = [];
    const { monitor, ...rates } = await measure(server.pid, sink, async () => {
      const load = await runHttpLoad({
        address: server.httpAddress,
        path: '/v1/mail/send',
        headers: server.sender!.headers,
        bodyFor: () => body,
        concurrency: sessions,
        requests: total,
        deadlineMs: RUN_DEADLINE_MS,
      });
      records = load.records;
      return { accepted: records.filter((record) => record.status === 200).length, wallMs: load.wallMs };
    });
    const acked = records.filter((record) => record.status === 200);
    const refused = records.length - acked.length;
    const latencies = acked.map((record) => record.latencyMs).sort((a, b) => a - b);
    const firstId = (acked[0]?.body as { id?: string } | undefined)?.id;
    return {
      ...common,
      path: 'rest',
      submittedOver: `REST: ${sessions} keep-alive HTTP clients; DKIM RSA-2048`,
      ...rates,
      ...memory(monitor),
      sendLatencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)) },
      refused,
      messageBytes: firstId ? await messageSize(server, firstId) : undefined,
      notes: [OUTPOST_NOTE, ...(refused > 0 ? [`${refused} sends were not answered 200 (first: ${JSON.stringify(records.find((record) => record.status !== 200))})`] : [])],
    };
  } finally {
    await server.close();
    await sink.close();
  }
}

/** The stored size of a message as Outpost queued it (headers added, DKIM-signed). */
async function messageSize(server: BenchOutpost, id: string): Promise<number | undefined> {
  const response = await fetch(`http://${server.httpAddress}/v1/mail/messages/${id}`, { headers: server.sender!.headers });
  return response.ok ? ((await response.json()) as { size?: number }).size : undefined;
}

const runs: RunFigures[] = [];
const skipped: string[] = [];
const unavailable = values['skip-postfix'] ? undefined : await postfixUnavailable();
if (unavailable) skipped.push(`Postfix: ${unavailable}`);
const withPostfix = !values['skip-postfix'] && !unavailable;
// one recipient count at a time, every row of it back to back: the pair compared runs minutes apart, not a whole run apart;
// with --rounds, the order flips every round (Postfix first, then Outpost first), so a steady drift of the machine's speed
// favours neither
for (const recipients of recipientCounts) {
  for (let roundNo = 1; roundNo <= rounds; roundNo++) {
    const postfixRows = async () => {
      if (withPostfix) for (const over of postfixPaths) runs.push(await runPostfix(recipients, roundNo, over));
    };
    const outpostRows = async () => {
      if (!values['skip-outpost']) for (const workers of workerCounts) for (const over of outpostPaths) runs.push(await runOutpost(recipients, roundNo, over, workers));
    };
    if (roundNo % 2 === 1) {
      await postfixRows();
      await outpostRows();
    } else {
      await outpostRows();
      await postfixRows();
    }
  }
}

/** Outpost / Postfix for each pair that ran; the first two are like for like. */
const PAIRS: { outpost: SubmissionPath; postfix: SubmissionPath; comparing: string }[] = [
  { outpost: 'tls-auth-client', postfix: 'tls-client', comparing: 'like for like: same TLS client and messages; Outpost also AUTH + DKIM RSA-2048' },
  { outpost: 'tls-auth-client-unsigned', postfix: 'tls-client', comparing: 'like for like without signing: same TLS client and messages; Outpost also AUTH, no DKIM' },
  { outpost: 'rest', postfix: 'smtp-source', comparing: 'not like for like: Outpost over REST (DKIM) vs Postfix over plain SMTP (smtp-source)' },
];
const ratios = PAIRS.flatMap((pair) =>
  workerCounts.flatMap((workers) => recipientCounts.flatMap((recipients) =>
    Array.from({ length: rounds }, (_, index) => index + 1).flatMap((roundNo) => {
      const postfix = runs.find((run) => run.path === pair.postfix && run.recipients === recipients && run.round === roundNo);
      const outpost = runs.find((run) => run.path === pair.outpost && run.workers === workers && run.recipients === recipients && run.round === roundNo);
      if (!postfix || !outpost) return [];
      return [{
        workers,
        recipients,
        round: roundNo,
        comparing: pair.comparing,
        deliveredRatio: round(outpost.deliveredPerSecond / postfix.deliveredPerSecond),
        acceptedRatio: round(outpost.acceptedPerSecond / postfix.acceptedPerSecond),
        cpuRatio: round(outpost.cpuSecondsPer1000 / postfix.cpuSecondsPer1000),
        peakRssRatio: round(outpost.peakRssMb / postfix.peakRssMb),
        // RSS sums count Postfix's shared pages once per process; PSS splits them
        peakPssRatio: round(outpost.peakPssMb / postfix.peakPssMb),
      }];
    }),
  )),
);
/** Per pair and recipient count over the rounds: the median delivered ratio and its range. */
function median(sorted: number[]): number {
  const middle = sorted.length / 2;
  return sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}
const ratioSummary = PAIRS.flatMap((pair) =>
  workerCounts.flatMap((workers) => recipientCounts.flatMap((recipients) => {
    const matching = ratios.filter((ratio) => ratio.comparing === pair.comparing && ratio.workers === workers && ratio.recipients === recipients);
    const delivered = matching.map((ratio) => ratio.deliveredRatio).sort((a, b) => a - b);
    if (delivered.length === 0) return [];
    const cpu = matching.map((ratio) => ratio.cpuRatio).sort((a, b) => a - b);
    return [{ comparing: pair.comparing, workers, recipients, rounds: delivered.length, deliveredRatioMedian: round(median(delivered)), deliveredRatioMin: delivered[0]!, deliveredRatioMax: delivered.at(-1)!, cpuRatioMedian: round(median(cpu)) }];
  })),
);
/** The scaling row: each Outpost path with the most workers against 1 worker, same recipients and round. */
const mostWorkers = Math.max(...workerCounts);
const scaling = workerCounts.includes(1) && mostWorkers > 1
  ? runs.filter((run) => run.system === 'Outpost' && run.workers === mostWorkers).flatMap((run) => {
      const single = runs.find((other) => other.system === 'Outpost' && other.workers === 1 && other.path === run.path && other.recipients === run.recipients && other.round === run.round);
      if (!single) return [];
      return [{
        path: run.path,
        recipients: run.recipients,
        round: run.round,
        workers: mostWorkers,
        deliveredRatio: round(run.deliveredPerSecond / single.deliveredPerSecond),
        coresOneWorker: single.cores,
        coresMoreWorkers: run.cores,
      }];
    })
  : [];

console.log(`\nEnd-to-end delivery: ${total} messages of ~2 KB per run, ${sessions} parallel sessions, sink: ${runs[0]?.sink ?? 'none'}`);
console.table(
  runs.map((run) => ({
    system: run.workers && run.workers > 1 ? `${run.system} ×${run.workers}` : run.system,
    'submitted over': run.submittedOver,
    rcpts: run.recipients,
    ...(rounds > 1 ? { round: run.round } : {}),
    'accepted msg/s': run.acceptedPerSecond,
    'delivered msg/s': run.deliveredPerSecond,
    'CPU s / 1000 msgs': run.cpuSecondsPer1000,
    'peak RSS MB': run.peakRssMb,
    'peak PSS MB': run.peakPssMb,
    'p50 / p99 ms': run.sendLatencyMs ? `${run.sendLatencyMs.p50} / ${run.sendLatencyMs.p99}` : '-',
    'client CPU s / 1000': run.clientCpuSecondsPer1000 ?? '-',
    'cores: server / client+sink / machine': `${run.cores.server} / ${run.cores.clientAndSink} / ${run.cores.machine}`,
    'other work, cores': run.otherCores,
  })),
);
for (const run of runs) {
  const details = [`load average ${String(run.loadAverage)}`, ...(run.tls ? [`${String(run.tls)}, ${String(run.connections)} connections, session set-up ${JSON.stringify(run.sessionSetupMs)} ms, p50 per phase ${JSON.stringify(run.phaseP50Ms)} ms`] : [])];
  const problems = run.notes.filter((text) => text.includes('failed') || text.includes('not answered'));
  console.log(`${run.system} via ${run.path}, ${run.recipients} rcpt${rounds > 1 ? `, round ${run.round}` : ''}: ${[...details, ...problems].join('; ')}`);
}
if (ratios.length > 0) {
  console.log('Outpost / Postfix, same machine, same run:');
  console.table(ratios.map((ratio) => ({ comparing: ratio.comparing, rcpts: ratio.recipients, ...(rounds > 1 ? { round: ratio.round } : {}), 'delivered ×': ratio.deliveredRatio, 'accepted ×': ratio.acceptedRatio, 'CPU per msg ×': ratio.cpuRatio, 'peak RSS ×': ratio.peakRssRatio, 'peak PSS ×': ratio.peakPssRatio })));
}
if (rounds > 1 && ratioSummary.length > 0) {
  console.log(`delivered Outpost / Postfix over ${rounds} rounds:`);
  console.table(ratioSummary.map((summary) => ({ comparing: summary.comparing, workers: summary.workers, rcpts: summary.recipients, median: summary.deliveredRatioMedian, min: summary.deliveredRatioMin, max: summary.deliveredRatioMax, 'CPU ratio median': summary.cpuRatioMedian })));
}
if (scaling.length > 0) {
  console.log(`Outpost with ${mostWorkers} workers / 1 worker, delivered msg/s, same run (cores busy: server / client+sink / machine):`);
  console.table(scaling.map((row) => ({ path: row.path, rcpts: row.recipients, round: row.round, '×': row.deliveredRatio, '1 worker': `${row.coresOneWorker.server} / ${row.coresOneWorker.clientAndSink} / ${row.coresOneWorker.machine}`, [`${mostWorkers} workers`]: `${row.coresMoreWorkers.server} / ${row.coresMoreWorkers.clientAndSink} / ${row.coresMoreWorkers.machine}` })));
}
for (const note of skipped) console.log(`skipped: ${note}`);

const command = [
  `npm run bench:e2e -- --messages ${total} --sessions ${sessions} --recipients ${recipientCounts.join(',')}${rounds > 1 ? ` --rounds ${rounds}` : ''}`,
  `--postfix-over ${postfixPaths.join(',')} --outpost-over ${outpostPaths.join(',')} --workers ${workerCounts.join(',')}`,
  ...(values['skip-postfix'] ? ['--skip-postfix'] : []),
  ...(values['skip-outpost'] ? ['--skip-outpost'] : []),
].join(' ');
await recordResult('e2e', {
  ...sectionHeader('end-to-end delivery to a loopback smtp-sink: Postfix (smtp-source, TLS client) and Outpost (TLS+AUTH client with and without DKIM, optionally REST) side by side', command),
  messages: total,
  sessions,
  rounds,
  runs,
  ratios,
  ratioSummary,
  workerCounts,
  scaling,
  skipped,
});
