/**
 * Setup for SMTP submission tests: a destination MX and a DNS server on
 * loopback, Outpost with its submission listeners on port 0, an account with
 * the verified sending domain acme.test, and nodemailer transports against
 * either listener (the generated self-signed certificate is not verified).
 */
import { createTransport } from 'nodemailer';
import type { OutpostConfig } from '../../config/index.js';
import type { OutpostPlugin } from '../../core/plugins/plugin-api.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { addVerifiedDomain } from './domains.js';
import { createAccount } from './http.js';
import { startMxServer, type MxServerOptions, type TestMxServer } from './mx-server.js';
import { startOutpost, type TestOutpost } from './outpost.js';
import { splitAddress } from './smtp-client.js';

export interface SubmissionHarness {
  dns: TestDnsServer;
  mx: TestMxServer;
  server: TestOutpost;
  account: { id: string; apiKey: string };
  /** `127.0.0.1:port` of 587's stand-in (STARTTLS). */
  submission: string;
  /** `127.0.0.1:port` of 465's stand-in (implicit TLS). */
  submissionTls: string;
  close(): Promise<void>;
}

export interface HarnessOptions {
  mx?: MxServerOptions;
  plugins?: OutpostPlugin[];
  env?: Record<string, string>;
  tune?: (config: OutpostConfig) => void;
}

export async function startSubmissionHarness(options: HarnessOptions = {}): Promise<SubmissionHarness> {
  const mx = await startMxServer({ size: 64 * 1024 * 1024, ...options.mx });
  const dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
  // SPF verification needs to know the sending IPs (any address will do: nothing checks SPF here)
  const env = { OUTPOST_SENDING_IPS: '203.0.113.7', ...options.env };
  const server = await startOutpost({
    dnsAddress: dns.address,
    deliveryPort: mx.port,
    env,
    ...(options.tune ? { tune: options.tune } : {}),
    ...(options.plugins ? { plugins: options.plugins } : {}),
  });
  const account = await createAccount(server.outpost);
  await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
  return {
    dns,
    mx,
    server,
    account,
    submission: server.outpost.submissionAddress!,
    submissionTls: server.outpost.submissionTlsAddress!,
    async close() {
      await server.close();
      await mx.close();
      await dns.close();
    },
  };
}

/** A nodemailer transport: STARTTLS required on the submission port, or implicit TLS on the other. */
export function submissionTransport(address: string, auth: { user: string; pass: string } | undefined, implicitTls = false) {
  const [host, port] = splitAddress(address);
  return createTransport({
    host,
    port,
    secure: implicitTls,
    requireTLS: !implicitTls,
    tls: { rejectUnauthorized: false },
    ...(auth ? { auth } : {}),
  });
}

/** The message id in a 250 reply to DATA ("250 2.6.0 Ok: queued as <id>"). */
export function queuedId(response: string): string {
  const match = /queued as ([0-9a-z]+)/.exec(response);
  if (!match) throw new Error(`no message id in ${JSON.stringify(response)}`);
  return match[1]!;
}
