/**
 * What the client library's tests need: a test DNS server, a destination MX
 * (smtp-server sink, 64 MiB), a real Outpost in this process with an account
 * whose domain acme.test is verified, and a client (api/client) for it. The
 * client goes over real HTTP like any other; nothing is stubbed.
 */
import type { OutpostConfig } from '../../config/index.js';
import { Outpost, type ClientOptions } from '../../api/client/index.js';
import { startDnsServer, type TestDnsServer } from './dns-server.js';
import { baseUrlOf } from './http.js';
import { startMxServer, type MxServerOptions, type TestMxServer } from './mx-server.js';
import { startOutpost, TEST_ADMIN_KEY, type TestOutpost } from './outpost.js';
import { prepareRestSender, SENDER } from './rest-sender.js';

export { SENDER, SENDER_DOMAIN } from './rest-sender.js';

export interface ClientHarness {
  dns: TestDnsServer;
  mx: TestMxServer;
  server: TestOutpost;
  url: string;
  apiKey: string;
  accountId: string;
  /** A client with the account's key and the admin key. */
  client: Outpost;
  /** Another client for this server (e.g. with other retry settings or another key). */
  newClient(options?: Partial<ClientOptions>): Outpost;
  close(): Promise<void>;
}

export interface ClientHarnessOptions {
  env?: Record<string, string>;
  mx?: MxServerOptions;
  tune?: (config: OutpostConfig) => void;
}

/** Zone of the destinations the tests send to. */
export const DESTINATION_ZONE = {
  'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
  'mx.dest.test': { A: ['127.0.0.1'] },
};

/** The smallest message the tests send; fields override. */
export function testMessage<T extends object>(fields: T = {} as T) {
  return { from: SENDER, to: ['user@dest.test'], subject: 'Hello', text: 'Hello there.', ...fields };
}

export async function startClientHarness(options: ClientHarnessOptions = {}): Promise<ClientHarness> {
  const mx = await startMxServer({ size: 64 * 1024 * 1024, ...options.mx });
  const dns = await startDnsServer({ ...DESTINATION_ZONE });
  let server: TestOutpost | undefined;
  try {
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, ...(options.env ? { env: options.env } : {}), ...(options.tune ? { tune: options.tune } : {}) });
    const sender = await prepareRestSender(server.outpost, dns);
    const url = baseUrlOf(server.outpost);
    const running = server;
    const newClient = (overrides: Partial<ClientOptions> = {}) => new Outpost({ url, key: sender.apiKey, adminKey: TEST_ADMIN_KEY, ...overrides });
    return {
      dns,
      mx,
      server: running,
      url,
      apiKey: sender.apiKey,
      accountId: sender.accountId,
      client: newClient(),
      newClient,
      async close() {
        await running.close();
        await mx.close();
        await dns.close();
      },
    };
  } catch (error) {
    await server?.close();
    await mx.close();
    await dns.close();
    throw error;
  }
}
