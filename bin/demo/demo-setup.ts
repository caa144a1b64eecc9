/**
 * The demo's world on loopback: a DNS server that holds the demo's names, a
 * catch-all destination MX, and Outpost in this process (OUTPOST_WORKERS=1)
 * with its own temp data dir, every listener on 127.0.0.1 at a free port,
 * lookups through the demo's DNS and delivery to the catch-all. Its settings
 * come only from here, never from the caller's OUTPOST_* variables (a Redis URL
 * there must not reach the demo). close() stops everything and removes the
 * data dir, whatever state the start got to.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../config/index.js';
import { Outpost as OutpostServer } from '../../core/server.js';
import { startCatchAll, type CatchAll } from './catch-all.js';
import { startLocalDns, type LocalDns } from './local-dns.js';

/** Names of the demo world (`.test` is reserved: RFC 2606, never on the Internet). */
export const DEMO_NAMES = {
  outpostHost: 'outpost.demo.test',
  senderDomain: 'demo.test',
  recipientDomain: 'inbox.test',
  recipientMx: 'mx.inbox.test',
} as const;
/** Where the demo's mail leaves from and arrives at: everything is on this machine. */
export const LOOPBACK = '127.0.0.1';

export interface DemoWorld {
  dns: LocalDns;
  catchAll: CatchAll;
  server: OutpostServer;
  dataDir: string;
  adminKey: string;
  url: string;
  /** host:port of the STARTTLS submission listener (587's stand-in). */
  submissionAddress: string;
  close(): Promise<void>;
}

export async function startDemoWorld(): Promise<DemoWorld> {
  const closers: (() => Promise<unknown>)[] = [];
  const close = async () => {
    // last started, first stopped; each one runs even if an earlier one failed
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
  };
  try {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'outpost-demo-'));
    closers.push(() => rm(dataDir, { recursive: true, force: true }));
    const dns = await startLocalDns();
    closers.push(() => dns.close());
    dns.set(DEMO_NAMES.outpostHost, { A: [LOOPBACK] });
    dns.set(DEMO_NAMES.recipientDomain, { MX: [{ exchange: DEMO_NAMES.recipientMx, priority: 10 }] });
    dns.set(DEMO_NAMES.recipientMx, { A: [LOOPBACK] });
    const catchAll = await startCatchAll(DEMO_NAMES.recipientMx);
    closers.push(() => catchAll.close());

    const adminKey = `demo-admin-${randomBytes(16).toString('hex')}`;
    const env = demoEnv({ dataDir, dnsAddress: dns.address, deliveryPort: catchAll.port, adminKey });
    const server = await OutpostServer.start({ config: loadConfig(env), env, logger: pino({ level: 'error' }, process.stderr) });
    // the grace period is short: nothing the demo sent is still in flight when it stops
    closers.push(() => server.stop(1000));
    return { dns, catchAll, server, dataDir, adminKey, url: `http://${server.httpAddress}`, submissionAddress: server.submissionAddress!, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** Outpost's settings for the demo: loopback only, free ports, the demo's DNS and MX, quick retries. */
function demoEnv(options: { dataDir: string; dnsAddress: string; deliveryPort: number; adminKey: string }): Record<string, string> {
  return {
    OUTPOST_DATA_DIR: options.dataDir,
    OUTPOST_HOSTNAME: DEMO_NAMES.outpostHost,
    OUTPOST_HTTP_HOST: LOOPBACK,
    OUTPOST_HTTP_PORT: '0',
    OUTPOST_SMTP_HOST: LOOPBACK,
    OUTPOST_SUBMISSION_PORT: '0',
    OUTPOST_SUBMISSION_TLS_PORT: 'off',
    OUTPOST_MX_PORT: '0',
    OUTPOST_WORKERS: '1',
    OUTPOST_ADMIN_KEY: options.adminKey,
    OUTPOST_DNS_SERVERS: options.dnsAddress,
    OUTPOST_DELIVERY_PORT: String(options.deliveryPort),
    // the destination is on loopback, which Outpost refuses by default
    OUTPOST_ALLOW_PRIVATE_TARGETS: 'true',
    // the SPF records Outpost asks for then authorise the address the demo's mail leaves from
    OUTPOST_SENDING_IPS: LOOPBACK,
    OUTPOST_RETRY_SCHEDULE: '1s',
    // delivery connections close soon after the last message, so stopping is quick
    OUTPOST_DELIVERY_IDLE_TIMEOUT: '200ms',
    OUTPOST_LOG_LEVEL: 'error',
  };
}
