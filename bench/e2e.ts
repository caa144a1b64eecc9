/**
 * End-to-end delivery, side by side with Postfix on this machine, in one run:
 * N messages (default 20,000, ~2 KB) with 1 and with 5 recipients, 20 parallel
 * sessions, delivered over loopback to Postfix's smtp-sink, which counts them.
 *
 *   Postfix  smtp-source -s 20 -m N -l 2048 [-r 5] → Postfix (throwaway instance,
 *            bench/peers/postfix.sh, relayhost = the sink) → smtp-sink
 *   Outpost  20 HTTP clients POST /v1/mail/send (same body size, DKIM RSA-2048
 *            signing, every receipt fsynced) → Outpost (child process) → smtp-sink
 *
 * Postfix runs first, then Outpost. The two are NOT submitted the same way:
 * Outpost's SMTP submission requires AUTH after STARTTLS and smtp-source can do
 * neither, so Outpost is driven over its REST API here, and every Outpost/Postfix
 * ratio is labelled "REST vs SMTP". See runOutpostOverSmtp() for what remains.
 *
 * Reported per run: accepted msg/s (submission wall time), delivered msg/s
 * (from the first submission until the sink has counted the last message),
 * server CPU seconds per 1,000 messages (from /proc: Outpost's process; for
 * Postfix master and every daemon it forked, reaped ones included; the load
 * tools and the sink are not counted) and peak memory (sampled sums of RSS and
 * of PSS over the server's processes).
 *
 *   npm run bench:e2e -- --messages 20000 --sessions 20 --recipients 1,5
 *   npm run bench:e2e -- --skip-postfix          # Outpost only (no root / no apt)
 *   npm run bench:e2e -- --outpost-over smtp     # not possible yet: see runOutpostOverSmtp()
 *
 * Bounded: N messages per run and a 10-minute deadline per run; loopback only.
 * Postfix needs root; the Debian package is installed if missing.
 */
import { parseArgs } from 'node:util';
import { percentile, runHttpLoad } from '../test/support/http-load.js';
import { SENDER } from '../test/support/rest-sender.js';
import { SINK_DOMAIN, smtpSourceLikeText, startBenchOutpost } from './lib/bench-outpost.js';
import { startCountingSink } from './lib/counting-sink.js';
import { postfixUnavailable, runSmtpSource, startPostfix } from './lib/postfix-peer.js';
import { megabytes, peakRssOf, UsageMonitor } from './lib/process-usage.js';
import { recordResult, round, sectionHeader } from './lib/results.js';

const { values } = parseArgs({
  options: {
    messages: { type: 'string', default: '20000' },
    sessions: { type: 'string', default: '20' },
    recipients: { type: 'string', default: '1,5' },
    'skip-postfix': { type: 'boolean', default: false },
    'skip-outpost': { type: 'boolean', default: false },
    /** `smtp` is the comparison the issue asks for; it is not possible yet (runOutpostOverSmtp). */
    'outpost-over': { type: 'string', default: 'rest' },
  },
});
const total = Number(values.messages);
const sessions = Number(values.sessions);
const recipientCounts = values.recipients.split(',').map(Number);
if (!(total > 0) || !(sessions > 0) || recipientCounts.some((count) => !(count >= 1 && count <= 100))) throw new Error('bad --messages, --sessions or --recipients');
const RUN_DEADLINE_MS = 10 * 60_000;

interface RunFigures {
  system: 'Postfix' | 'Outpost';
  submittedOver: string;
  recipients: number;
  messages: number;
  /** Messages acknowledged to the client (250 / HTTP 200). */
  accepted: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  cpuSecondsPer1000: number;
  peakRssMb: number;
  peakPssMb: number;
  notes: string[];
  [more: string]: unknown;
}

async function runPostfix(recipients: number): Promise<RunFigures> {
  const sink = await startCountingSink();
  const peer = await startPostfix(sink.port).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  try {
    const monitor = new UsageMonitor(peer.masterPid);
    monitor.start();
    const started = Date.now();
    const args = ['-s', String(sessions), '-m', String(total), '-l', '2048', '-r', String(recipients), '-f', 'bench@source.test', '-t', `user@${SINK_DOMAIN}`, `127.0.0.1:${peer.port}`];
    const acceptedMs = await runSmtpSource(args, RUN_DEADLINE_MS);
    const deliveredAt = await sink.reached(total, Math.max(1, started + RUN_DEADLINE_MS - Date.now()));
    const cpuSeconds = monitor.stop();
    return {
      system: 'Postfix',
      submittedOver: `SMTP (smtp-source -s ${sessions} -l 2048${recipients > 1 ? ` -r ${recipients}` : ''})`,
      recipients,
      messages: total,
      accepted: total,
      acceptedPerSecond: round(total / (acceptedMs / 1000)),
      deliveredPerSecond: round(total / ((deliveredAt - started) / 1000)),
      cpuSecondsPer1000: round((cpuSeconds / total) * 1000),
      peakRssMb: megabytes(monitor.peakRssBytes),
      peakPssMb: megabytes(monitor.peakPssBytes),
      sink: sink.kind,
      notes: ['Postfix 3.7 defaults: 20 connections per destination (slow start from 5), connection cache on demand, in_flow_delay 1s'],
    };
  } finally {
    await peer.stop();
    await sink.close();
  }
}

async function runOutpostOverRest(recipients: number): Promise<RunFigures> {
  const sink = await startCountingSink();
  const server = await startBenchOutpost({ sinkPort: sink.port }).catch(async (error: unknown) => {
    await sink.close();
    throw error;
  });
  try {
    const body = {
      from: SENDER,
      to: Array.from({ length: recipients }, (_, index) => `${index === 0 ? '' : index + 1}user@${SINK_DOMAIN}`),
      subject: 'bench',
      text: smtpSourceLikeText(),
    };
    const monitor = new UsageMonitor(server.pid);
    monitor.start();
    const started = Date.now();
    const load = await runHttpLoad({
      address: server.httpAddress,
      path: '/v1/mail/send',
      headers: server.sender!.headers,
      bodyFor: () => body,
      concurrency: sessions,
      requests: total,
      deadlineMs: RUN_DEADLINE_MS,
    });
    const acked = load.records.filter((record) => record.status === 200);
    const refused = load.records.length - acked.length;
    const deliveredAt = await sink.reached(acked.length, Math.max(1, started + RUN_DEADLINE_MS - Date.now()));
    const cpuSeconds = monitor.stop();
    const latencies = acked.map((record) => record.latencyMs).sort((a, b) => a - b);
    const firstId = (acked[0]?.body as { id?: string } | undefined)?.id;
    const size = firstId ? await messageSize(server.httpAddress, server.sender!.headers, firstId) : undefined;
    return {
      system: 'Outpost',
      submittedOver: `REST (${sessions} keep-alive HTTP clients, DKIM RSA-2048)`,
      recipients,
      messages: total,
      accepted: acked.length,
      acceptedPerSecond: round(acked.length / (load.wallMs / 1000)),
      deliveredPerSecond: round(acked.length / ((deliveredAt - started) / 1000)),
      cpuSecondsPer1000: round((cpuSeconds / Math.max(1, acked.length)) * 1000),
      peakRssMb: megabytes(Math.max(monitor.peakRssBytes, peakRssOf(server.pid))),
      peakPssMb: megabytes(monitor.peakPssBytes),
      sendLatencyMs: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), p99: round(percentile(latencies, 99)) },
      refused,
      messageBytes: size,
      sink: sink.kind,
      notes: [
        'Outpost defaults: 10 connections per destination domain, idle sessions reused; logs at info to a file',
        ...(refused > 0 ? [`${refused} sends were not answered 200 (first: ${JSON.stringify(load.records.find((record) => record.status !== 200))})`] : []),
      ],
    };
  } finally {
    await server.close();
    await sink.close();
  }
}

async function messageSize(address: string, headers: Record<string, string>, id: string): Promise<number | undefined> {
  const response = await fetch(`http://${address}/v1/mail/messages/${id}`, { headers });
  return response.ok ? ((await response.json()) as { size?: number }).size : undefined;
}

/**
 * TODO(issue 5 follow-up): the same smtp-source load against Outpost's SMTP submission.
 * Not possible as specified: submission requires AUTH (API key as password) after STARTTLS
 * (SPEC "Accounts and keys"), and smtp-source can do neither, while Postfix here takes mail from
 * mynetworks without AUTH. To finish it, pick one and label it: (a) a load client that speaks
 * STARTTLS + AUTH PLAIN with 20 sessions (nodemailer's SMTPConnection, as test/support/smtp-client.ts
 * does) against Outpost, and the same client against Postfix (give the throwaway Postfix
 * smtpd_tls_security_level = may with a self-signed certificate, so both pay for TLS); or
 * (b) smtp-source through a TLS+AUTH-injecting proxy. Then add its runs next to the REST ones
 * below and report the SMTP-vs-SMTP ratio.
 */
function runOutpostOverSmtp(): never {
  throw new Error('needs SMTP submission load with STARTTLS + AUTH (issue 5 follow-up); Outpost is measured over REST meanwhile');
}

const runs: RunFigures[] = [];
const skipped: string[] = [];
if (!values['skip-postfix']) {
  const unavailable = await postfixUnavailable();
  if (unavailable) skipped.push(`Postfix: ${unavailable}`);
  else for (const recipients of recipientCounts) runs.push(await runPostfix(recipients));
}
if (!values['skip-outpost']) {
  if (values['outpost-over'] === 'smtp') runOutpostOverSmtp();
  for (const recipients of recipientCounts) runs.push(await runOutpostOverRest(recipients));
}

const ratios = recipientCounts.flatMap((recipients) => {
  const postfix = runs.find((run) => run.system === 'Postfix' && run.recipients === recipients);
  const outpost = runs.find((run) => run.system === 'Outpost' && run.recipients === recipients);
  if (!postfix || !outpost) return [];
  return [{
    recipients,
    comparing: 'Outpost over REST (DKIM-signed) vs Postfix over SMTP (unsigned)',
    deliveredRatio: round(outpost.deliveredPerSecond / postfix.deliveredPerSecond),
    acceptedRatio: round(outpost.acceptedPerSecond / postfix.acceptedPerSecond),
    cpuRatio: round(outpost.cpuSecondsPer1000 / postfix.cpuSecondsPer1000),
  }];
});

console.log(`\nEnd-to-end delivery: ${total} messages of ~2 KB per run, ${sessions} parallel sessions, sink: ${runs[0]?.sink ?? 'none'}`);
console.table(
  runs.map((run) => ({
    system: run.system,
    'submitted over': run.submittedOver,
    rcpts: run.recipients,
    'accepted msg/s': run.acceptedPerSecond,
    'delivered msg/s': run.deliveredPerSecond,
    'CPU s / 1000 msgs': run.cpuSecondsPer1000,
    'peak RSS MB': run.peakRssMb,
    'peak PSS MB': run.peakPssMb,
  })),
);
if (ratios.length > 0) {
  console.log('Outpost / Postfix, same machine, same run (NOT the same submission path: REST vs SMTP):');
  console.table(ratios.map(({ recipients, deliveredRatio, acceptedRatio, cpuRatio }) => ({ rcpts: recipients, 'delivered ×': deliveredRatio, 'accepted ×': acceptedRatio, 'CPU per msg ×': cpuRatio })));
}
for (const note of skipped) console.log(`skipped: ${note}`);

await recordResult('e2e', {
  ...sectionHeader('end-to-end delivery to a loopback smtp-sink, Postfix (SMTP) and Outpost (REST) side by side', `npm run bench:e2e -- --messages ${total} --sessions ${sessions} --recipients ${recipientCounts.join(',')}`),
  messages: total,
  sessions,
  runs,
  ratios,
  skipped,
  remaining: 'Outpost over SMTP submission (smtp-source cannot STARTTLS/AUTH): see runOutpostOverSmtp() in bench/e2e.ts',
});
