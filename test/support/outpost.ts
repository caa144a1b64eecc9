/**
 * Starts a real Outpost in this process for a test: fresh data dir, HTTP on
 * port 0, DNS through the test DNS server, delivery to the test MX port,
 * private targets allowed (everything is on loopback), short retry delays.
 */
import { rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { loadConfig, type OutpostConfig } from '../../config/index.js';
import type { OutpostPlugin } from '../../core/plugins/plugin-api.js';
import { Outpost } from '../../core/server.js';
import type { MessageStatusView } from '../../core/status/status-store.js';

export interface TestOutpostOptions {
  dnsAddress: string;
  deliveryPort: number;
  /** Extra OUTPOST_* variables. */
  env?: Record<string, string>;
  plugins?: OutpostPlugin[];
  /** Built-in plugins to leave out (OutpostOptions.omitBuiltinPlugins). */
  omitBuiltinPlugins?: string[];
  /** Reuse a data dir (restart tests). */
  dataDir?: string;
  /** Adjust the loaded config (limits, timeouts). */
  tune?: (config: OutpostConfig) => void;
}

export interface TestOutpost {
  outpost: Outpost;
  dataDir: string;
  /** Stops the server and removes the data dir. */
  close(): Promise<void>;
}

/** Admin key of every test server. */
export const TEST_ADMIN_KEY = 'test-admin-key-0123456789';

export function testEnv(options: { dnsAddress: string; deliveryPort: number; dataDir: string }): Record<string, string> {
  return {
    OUTPOST_DATA_DIR: options.dataDir,
    OUTPOST_HTTP_HOST: '127.0.0.1',
    OUTPOST_HTTP_PORT: '0',
    // never 587/465: the submission listeners bind a free port on loopback (outpost.submissionAddress)
    OUTPOST_SMTP_HOST: '127.0.0.1',
    OUTPOST_SUBMISSION_PORT: '0',
    OUTPOST_SUBMISSION_TLS_PORT: '0',
    OUTPOST_HOSTNAME: 'outpost.test',
    OUTPOST_DNS_SERVERS: options.dnsAddress,
    OUTPOST_DELIVERY_PORT: String(options.deliveryPort),
    OUTPOST_ALLOW_PRIVATE_TARGETS: 'true',
    OUTPOST_RETRY_SCHEDULE: '100ms',
    // idle sessions close soon, so tests and their MX servers stop quickly
    OUTPOST_DELIVERY_IDLE_TIMEOUT: '200ms',
    OUTPOST_LOG_LEVEL: 'silent',
    OUTPOST_ADMIN_KEY: TEST_ADMIN_KEY,
    // Outpost.start runs one process; tests of workers start bin/outpost.ts (test/support/outpost-cluster.ts)
    OUTPOST_WORKERS: '1',
    OUTPOST_MX_PORT: '0',
  };
}

/** Data dirs made by this process; whatever a test did not remove itself goes when the process exits. */
const madeDataDirs = new Set<string>();
process.once('exit', () => {
  for (const directory of madeDataDirs) rmSync(directory, { recursive: true, force: true });
});

export async function makeDataDir(): Promise<string> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'outpost-test-'));
  madeDataDirs.add(directory);
  return directory;
}

export async function startOutpost(options: TestOutpostOptions): Promise<TestOutpost> {
  const dataDir = options.dataDir ?? (await makeDataDir());
  const env = { ...testEnv({ ...options, dataDir }), ...options.env };
  const config = loadConfig(env);
  options.tune?.(config);
  const outpost = await Outpost.start({ config, env, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), plugins: options.plugins ?? [], omitBuiltinPlugins: options.omitBuiltinPlugins ?? [] });
  return {
    outpost,
    dataDir,
    async close() {
      await outpost.stop(1000);
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** A small RFC 5322 message. */
export function rawMessage(fields: { from: string; to: string[]; subject?: string; body?: string; headers?: Record<string, string> }): Buffer {
  const extra = Object.entries(fields.headers ?? {}).map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return Buffer.from(
    `From: ${fields.from}\r\nTo: ${fields.to.join(', ')}\r\nSubject: ${fields.subject ?? 'test'}\r\n${extra}\r\n${fields.body ?? 'Hello.\r\n'}`,
  );
}

/** Polls the message status until `done` says so; fails with the last status seen. */
export async function waitForStatus(
  outpost: Outpost,
  messageId: string,
  done: (view: MessageStatusView) => boolean,
  timeoutMs = 10_000,
): Promise<MessageStatusView> {
  const deadline = Date.now() + timeoutMs;
  let last: MessageStatusView | undefined;
  while (Date.now() < deadline) {
    last = await outpost.getMessage(messageId);
    if (last && done(last)) return last;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`message ${messageId} did not reach the expected status in ${timeoutMs} ms; last: ${JSON.stringify(last, null, 1)}`);
}

/** Every recipient is in one of the final states. */
export function allFinal(view: MessageStatusView): boolean {
  return view.recipients.every((recipient) => ['delivered', 'bounced', 'rejected', 'suppressed', 'test'].includes(recipient.status));
}
