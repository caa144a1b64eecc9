/**
 * Outpost in a child process, for tests that have to kill the server for real
 * (`kill -9` crash/restart tests such as test/core/spool/crash.test.ts): an
 * in-process Outpost cannot be crashed without taking mocha down with it.
 *
 * Run as `node --import tsx test/support/outpost-child.ts` with an IPC channel
 * (spawn stdio [..., 'ipc'] or fork). Configuration:
 *   OUTPOST_*                           the server's config, read by loadConfig()
 *                                       (pass testEnv(...) values, OUTPOST_LOG_LEVEL=silent)
 *   CHILD_SUBMIT_COUNT                  once started, submit this many messages (default: none)
 *   CHILD_SUBMIT_CONCURRENCY            submissions in progress at once (default 8)
 *   CHILD_SUBMIT_INTERVAL_MS            pace: submission n starts no earlier than (n-1) x this
 *                                       after the first (default 0: as fast as the spool takes them)
 *   CHILD_RECIPIENT_DOMAIN              message n goes to rcpt<n>@DOMAIN (default dest.test)
 *   CHILD_RECIPIENTS_PER_MESSAGE        k > 1 adds rcpt<n>-2@DOMAIN ... rcpt<n>-k@DOMAIN (default 1)
 *   CHILD_SUBMIT_REPORT                 `each` (default): submitting/acked/submit-failed per message;
 *                                       `summary`: only submitted-all (large queues, where the IPC
 *                                       traffic would cost more than the submissions)
 *   CHILD_SUBMIT_ON_REQUEST             1: start submitting only when the parent sends `{ type: 'submit' }`
 *                                       (after it has set up what else it wants to run alongside)
 *
 * With OUTPOST_WORKERS > 1 the child is the primary (core/workers/primary.ts): it
 * forks the workers (bin/outpost.ts), which take HTTP and SMTP; `ready` then also
 * carries their PIDs, and CHILD_SUBMIT_COUNT is refused (submissions come in
 * over HTTP or SMTP, to the workers).
 *
 * Messages to the parent (ChildMessage): `ready` once Outpost.start resolved
 * (queue recovered, delivery running), with the bound HTTP and SMTP submission
 * (STARTTLS) addresses (testEnv binds both on port 0); for every submission `submitting` before
 * it enters the pipeline and `acked` only after its receipt resolved, i.e. once
 * it is durably queued; `submit-failed`; `submitted-all`; `stats` in answer to
 * a `{ type: 'stats' }` request (queue sizes, RSS and CPU of this process);
 * `stopping` once SIGTERM has been acted on (from then on no submission is
 * accepted); `fatal` when the server cannot start.
 * Message n carries the header `X-Test-Seq: n` (1-based) so the parent can tell
 * deliveries apart at the MX. SIGTERM (or the parent going away) stops the
 * server gracefully and exits 0.
 */
import { loadConfig } from '../../config/index.js';
import { Outpost } from '../../core/server.js';
import { OutpostPrimary } from '../../core/workers/primary.js';
import { rawMessage } from './outpost.js';

export type ChildMessage =
  | { type: 'ready'; pid: number; dataDir: string; httpAddress: string | undefined; submissionAddress: string | undefined; workerPids: number[] }
  | { type: 'submitting'; seq: number }
  | { type: 'acked'; seq: number; id: string }
  | { type: 'submit-failed'; seq: number; error: string }
  | { type: 'submitted-all'; acked: number; failed: number; elapsedMs: number }
  | { type: 'stats'; queued: number; active: number; rssBytes: number; maxRssBytes: number; cpuMicros: number }
  | { type: 'stopping' }
  | { type: 'fatal'; error: string };

export type ParentMessage = { type: 'stats' } | { type: 'submit' };

/** Not exported as a value: importing this file runs the server. Use `import type` only. */
const SEQ_HEADER = 'X-Test-Seq';

function send(message: ChildMessage): void {
  if (!process.send) {
    // run by hand without IPC: print instead
    console.log(JSON.stringify(message));
    return;
  }
  // the callback swallows "channel closed" when the parent is already gone
  if (process.connected) process.send(message, undefined, {}, () => {});
}

function positiveIntFromEnv(name: string): number | undefined {
  const text = process.env[name];
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name}: "${text}" is not a non-negative integer`);
  return value;
}

interface SubmitPlan {
  count: number;
  concurrency: number;
  intervalMs: number;
  domain: string;
  recipientsPerMessage: number;
  reportEach: boolean;
}

async function submitAll(outpost: Outpost, plan: SubmitPlan): Promise<void> {
  const { count, concurrency, intervalMs, domain, recipientsPerMessage, reportEach } = plan;
  const startedAt = Date.now();
  let next = 1;
  let acked = 0;
  let failed = 0;
  const worker = async (): Promise<void> => {
    while (next <= count) {
      const seq = next++;
      const wait = startedAt + (seq - 1) * intervalMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const to = [`rcpt${seq}@${domain}`];
      for (let extra = 2; extra <= recipientsPerMessage; extra++) to.push(`rcpt${seq}-${extra}@${domain}`);
      if (reportEach) send({ type: 'submitting', seq });
      try {
        const receipt = await outpost.submit({
          from: 'sender@outpost.test',
          to,
          raw: rawMessage({ from: 'sender@outpost.test', to, subject: `crash test ${seq}`, headers: { [SEQ_HEADER]: String(seq) } }),
          source: 'internal',
        });
        acked++;
        if (reportEach) send({ type: 'acked', seq, id: receipt.id });
      } catch (error) {
        failed++;
        if (reportEach) send({ type: 'submit-failed', seq, error: (error as Error).message });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  send({ type: 'submitted-all', acked, failed, elapsedMs: Date.now() - startedAt });
}

/** The server this child runs: one process, or the primary of workers. */
interface ChildServer {
  stop(): Promise<void>;
  readonly queuedRecipients: number;
  readonly activeDeliveries: number;
  readonly dataDir: string;
  addresses(): Record<string, string>;
  workerPids(): number[];
  outpost: Outpost | undefined;
}

async function startServer(): Promise<ChildServer> {
  const config = loadConfig(process.env);
  if (config.workers > 1) {
    if (process.env.CHILD_SUBMIT_COUNT) throw new Error('CHILD_SUBMIT_COUNT needs OUTPOST_WORKERS=1: with workers, the primary runs no pipeline');
    const primary = await OutpostPrimary.start({ config });
    return {
      stop: () => primary.stop(),
      get queuedRecipients() {
        return primary.queuedRecipients;
      },
      get activeDeliveries() {
        return primary.activeDeliveries;
      },
      dataDir: config.dataDir,
      addresses: () => primary.addresses(),
      workerPids: () => Object.values(primary.workerPids()).filter((pid): pid is number => pid !== undefined),
      outpost: undefined,
    };
  }
  const outpost = await Outpost.start({ config });
  return {
    stop: () => outpost.stop(),
    get queuedRecipients() {
      return outpost.queuedRecipients;
    },
    get activeDeliveries() {
      return outpost.activeDeliveries;
    },
    dataDir: config.dataDir,
    addresses: () => outpost.addresses(),
    workerPids: () => [],
    outpost,
  };
}

async function main(): Promise<void> {
  let server: ChildServer;
  try {
    server = await startServer();
  } catch (error) {
    const text = (error as Error).stack ?? String(error);
    process.stderr.write(`outpost-child: start failed: ${text}\n`);
    send({ type: 'fatal', error: text });
    process.exit(1);
  }

  let stopping = false;
  const shutDown = (): void => {
    if (stopping) return;
    stopping = true;
    // stop() refuses new submissions synchronously, before its first await: `stopping` is sent after that
    const stopped = server.stop();
    send({ type: 'stopping' });
    stopped.then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`outpost-child: stop failed: ${(error as Error).stack ?? String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutDown);
  // an orphan would keep the data dir locked and deliver behind the test's back
  process.on('disconnect', shutDown);
  let submitRequested: () => void = () => {};
  const submitRequest = new Promise<void>((resolve) => (submitRequested = resolve));
  process.on('message', (message: ParentMessage) => {
    if (message?.type === 'submit') submitRequested();
    if (message?.type !== 'stats') return;
    const cpu = process.cpuUsage();
    send({
      type: 'stats',
      queued: server.queuedRecipients,
      active: server.activeDeliveries,
      rssBytes: process.memoryUsage.rss(),
      // ru_maxrss is in kilobytes on Linux
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      cpuMicros: cpu.user + cpu.system,
    });
  });

  const addresses = server.addresses();
  send({ type: 'ready', pid: process.pid, dataDir: server.dataDir, httpAddress: addresses.http, submissionAddress: addresses.submission, workerPids: server.workerPids() });

  const count = positiveIntFromEnv('CHILD_SUBMIT_COUNT');
  if (count && server.outpost) {
    if (process.env.CHILD_SUBMIT_ON_REQUEST === '1') await submitRequest;
    await submitAll(server.outpost, {
      count,
      concurrency: positiveIntFromEnv('CHILD_SUBMIT_CONCURRENCY') ?? 8,
      intervalMs: positiveIntFromEnv('CHILD_SUBMIT_INTERVAL_MS') ?? 0,
      domain: process.env.CHILD_RECIPIENT_DOMAIN || 'dest.test',
      recipientsPerMessage: Math.max(1, positiveIntFromEnv('CHILD_RECIPIENTS_PER_MESSAGE') ?? 1),
      reportEach: (process.env.CHILD_SUBMIT_REPORT || 'each') !== 'summary',
    });
  }
}

await main();
