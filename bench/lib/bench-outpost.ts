/**
 * Outpost as the benchmarks run it: a separate process (like production, so
 * its CPU and memory are its own and the load generator's are not counted),
 * production settings except that mail goes to a loopback sink (test DNS
 * server, OUTPOST_ALLOW_PRIVATE_TARGETS) and the API rate limit is off, logs
 * at info level appended to a file (as Postfix logs to its maillog), and an
 * account with a verified, DKIM-signing (RSA-2048) sending domain.
 */
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { startDnsServer, type TestDnsServer } from '../../test/support/dns-server.js';
import { makeDataDir, testEnv } from '../../test/support/outpost.js';
import { OutpostChild, withTimeout } from '../../test/support/outpost-process.js';
import { prepareRestSender, SENDING_ZONE, type RestSender } from '../../test/support/rest-sender.js';

/** Recipients of the benchmarks are at this domain; its MX is the sink on 127.0.0.1. */
export const SINK_DOMAIN = 'sink.test';

export interface BenchOutpost {
  child: OutpostChild;
  pid: number;
  httpAddress: string;
  dns: TestDnsServer;
  dataDir: string;
  sender: RestSender | undefined;
  /** Stops the server (SIGTERM), the DNS server, and removes the data dir unless it was given. */
  close(): Promise<void>;
}

export interface BenchOutpostOptions {
  sinkPort: number;
  /** Extra OUTPOST_* / CHILD_* settings. */
  env?: Record<string, string>;
  /** Reuse this data dir (restart measurements); it is then not removed. */
  dataDir?: string;
  /** Reuse this DNS server (restart measurements); it is then not closed. */
  dns?: TestDnsServer;
  /** Create the sending account and domain (default true). */
  withSender?: boolean;
}

/** A test DNS server where SINK_DOMAIN's MX is 127.0.0.1 and a sending domain can be published. */
export function startSinkDns(): Promise<TestDnsServer> {
  return startDnsServer({
    [SINK_DOMAIN]: { MX: [{ exchange: `mx.${SINK_DOMAIN}`, priority: 10 }] },
    [`mx.${SINK_DOMAIN}`]: { A: ['127.0.0.1'] },
    ...SENDING_ZONE,
  });
}

export async function startBenchOutpost(options: BenchOutpostOptions): Promise<BenchOutpost> {
  const dns = options.dns ?? (await startSinkDns());
  const dataDir = options.dataDir ?? (await makeDataDir());
  await mkdir(dataDir, { recursive: true });
  const child = new OutpostChild({
    env: {
      ...testEnv({ dnsAddress: dns.address, deliveryPort: options.sinkPort, dataDir }),
      OUTPOST_LOG_LEVEL: 'info',
      OUTPOST_RETRY_SCHEDULE: '5m,10m,30m,1h,2h,4h',
      OUTPOST_API_RATE_LIMIT: '0',
      OUTPOST_DELIVERY_IDLE_TIMEOUT: '5s',
      ...options.env,
    },
    logFile: path.join(dataDir, 'outpost.log'),
    // `npm run bench:profile`: the server writes a V8 CPU profile when it exits
    ...(process.env.BENCH_CPU_PROF_DIR ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${path.resolve(process.env.BENCH_CPU_PROF_DIR)}`] } : {}),
  });
  const close = async (): Promise<void> => {
    await child.stop('SIGTERM', 60_000).catch(() => child.dispose());
    if (!options.dns) await dns.close();
    if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
  };
  try {
    const ready = await withTimeout(child.ready, 30_000, () => 'Outpost child ready');
    const sender = options.withSender === false ? undefined : await prepareRestSender(child, dns);
    return { child, pid: ready.pid, httpAddress: ready.httpAddress!, dns, dataDir, sender, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/**
 * A ~2 KB text like the body smtp-source sends with `-l 2048` (numbered lines of X): 27 lines
 * of 75 characters, 2,079 bytes with CRLF, short enough that quoted-printable leaves them alone.
 */
export function smtpSourceLikeText(): string {
  return Array.from({ length: 27 }, (_, line) => `${(line + 1) % 10}${'X'.repeat(74)}\r\n`).join('');
}

/** `count` recipients at the sink, as smtp-source -r names them: user@, 2user@, 3user@ ... */
export function sinkRecipients(count: number): string[] {
  return Array.from({ length: count }, (_, index) => `${index === 0 ? '' : index + 1}user@${SINK_DOMAIN}`);
}

/**
 * Message number `index` as the SMTP load client sends it to every server alike: the headers a
 * submitting client writes (From on the sending domain, so Outpost accepts and signs it) and
 * smtpSourceLikeText() as the body, 2.3 KB in all.
 */
export function smtpSourceLikeMessage(from: string, to: string[], index: number): Buffer {
  const headers = [
    `From: <${from}>`,
    `To: ${to.map((address) => `<${address}>`).join(', ')}`,
    'Subject: bench',
    `Date: ${new Date().toUTCString().replace('GMT', '+0000')}`,
    `Message-ID: <${index}.${process.pid}.${Date.now()}@load.bench.test>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=us-ascii',
  ];
  return Buffer.from(`${headers.join('\r\n')}\r\n\r\n${smtpSourceLikeText()}`);
}
