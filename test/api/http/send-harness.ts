/**
 * What every POST /v1/mail/send test needs: a test DNS server, a destination
 * MX (smtp-server sink taking 50 MB), Outpost over HTTP, and an account with a
 * verified sending domain; plus helpers to send, to read what arrived (parsed
 * with mailparser) and to prove that a refused request sent nothing.
 */
import assert from 'node:assert/strict';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { OutpostConfig } from '../../../config/index.js';
import type { OutpostPlugin } from '../../../core/plugins/plugin-api.js';
import type { MessageStatusView } from '../../../core/status/status-store.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request, type HttpResponse } from '../../support/http.js';
import { startMxServer, type MxServerOptions, type ReceivedMessage, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

export const SENDER_DOMAIN = 'acme.test';
export const SENDER = `sender@${SENDER_DOMAIN}`;

export type SendResponse = HttpResponse<{
  id: string;
  accepted_recipients: number;
  rejected_recipients: number;
  code: string;
  message: string;
  details?: { field: string; problem: string }[];
}>;

export interface SendHarness {
  dns: TestDnsServer;
  mx: TestMxServer;
  server: TestOutpost;
  apiKey: string;
  accountId: string;
  /** Messages the pipeline accepted (queued or test), counted from message:accepted. */
  accepted: string[];
  /** POST /v1/mail/send with a JSON body. */
  send(json: unknown, headers?: Record<string, string>): Promise<SendResponse>;
  /** POST /v1/mail/send with any body. */
  sendBody(body: BodyInit, headers: Record<string, string>): Promise<SendResponse>;
  close(): Promise<void>;
}

export interface SendHarnessOptions {
  mx?: MxServerOptions;
  env?: Record<string, string>;
  tune?: (config: OutpostConfig) => void;
  plugins?: OutpostPlugin[];
}

/** The smallest valid message; tests override fields. */
export function message(fields: Record<string, unknown> = {}): Record<string, unknown> {
  return { from: SENDER, to: ['user@dest.test'], subject: 'Hello', text: 'Hello there.', ...fields };
}

export async function startSendHarness(options: SendHarnessOptions = {}): Promise<SendHarness> {
  const { mx: mxOptions, ...outpostOptions } = options;
  const mx = await startMxServer({ size: 50 * 1024 * 1024, ...mxOptions });
  const dns = await startDnsServer({
    'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
    'other.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
    'mx.dest.test': { A: ['127.0.0.1'] },
    // Outpost's own name: the SPF records of the sending domain point at it.
    'outpost.test': { A: ['127.0.0.1'] },
  });
  let server: TestOutpost | undefined;
  try {
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, ...outpostOptions });
    const outpost = server.outpost;
    const account = await createAccount(outpost);
    await addVerifiedDomain(outpost, dns, account.apiKey, SENDER_DOMAIN);
    const accepted: string[] = [];
    outpost.events.on('message:accepted', ({ messageId }) => void accepted.push(messageId));
    const running = server;
    return {
      dns,
      mx,
      server: running,
      apiKey: account.apiKey,
      accountId: account.id,
      accepted,
      send: (json, headers = {}) => request(outpost, 'POST', '/v1/mail/send', { key: account.apiKey, json, headers }),
      sendBody: (body, headers) => request(outpost, 'POST', '/v1/mail/send', { key: account.apiKey, body, headers }),
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

/** Asserts a 200 receipt and waits until every recipient is final; returns the status. */
export async function sentAndFinal(harness: SendHarness, response: SendResponse): Promise<MessageStatusView> {
  assert.equal(response.status, 200, JSON.stringify(response.body));
  return waitForStatus(harness.server.outpost, response.body.id, allFinal);
}

/** Sends, waits for the one message to arrive, and parses it. */
export async function sendAndReceive(harness: SendHarness, json: unknown): Promise<{ parsed: ParsedMail; received: ReceivedMessage; view: MessageStatusView }> {
  const view = await sentAndFinal(harness, await harness.send(json));
  const [received] = await harness.mx.waitForMessages(1);
  return { parsed: await simpleParser(received!.raw), received: received!, view };
}

/** Asserts the error answer, and that nothing was queued or reached the destination. */
export function assertRefused(harness: SendHarness, response: SendResponse, status: number, code: string): void {
  assert.equal(response.status, status, JSON.stringify(response.body));
  assert.equal(response.body.code, code, JSON.stringify(response.body));
  assert.equal(typeof response.body.message, 'string');
  assert.doesNotMatch(response.body.message, /\n\s+at /, 'no stack trace');
  assert.deepEqual(harness.accepted, [], 'no message was accepted');
  assert.equal(harness.server.outpost.queuedRecipients, 0);
  assert.equal(harness.mx.messages.length, 0);
}

/** The header block of a raw message, unfolded, for checks a parser would smooth over. */
export function headerBlock(raw: Buffer): string {
  const text = raw.toString('latin1');
  return text.slice(0, text.indexOf('\r\n\r\n')).replace(/\r\n[ \t]+/g, ' ');
}

/**
 * For a describe block: returns setUp(options), which starts a harness and hands it to
 * `onStart`; the harness started last is closed after each test.
 */
export function useSendHarness(onStart: (harness: SendHarness) => void): (options?: SendHarnessOptions) => Promise<SendHarness> {
  let current: SendHarness | undefined;
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  return async (options = {}) => {
    current = await startSendHarness(options);
    onStart(current);
    return current;
  };
}
