/**
 * Sends webhook requests: one JSON POST per event and webhook, signed with the
 * webhook's secret, answered within a time limit, and tried again on any
 * answer but 2xx (or none) after each delay of OUTPOST_WEBHOOK_RETRY_SCHEDULE,
 * then given up with an error in the log. Pending retries are kept in memory:
 * a restart drops them (the stop logs how many).
 *
 * The signature header is `X-Outpost-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of the body with the secret (as SPEC asks); the body carries its
 * `created_at`, so a receiver can check freshness with signed data too. The host name is resolved through OUTPOST_DNS_SERVERS
 * and every address checked against the private-space policy before
 * connecting (the request's own lookup), so DNS cannot turn a webhook into a
 * probe of the internal network.
 */
import { createHmac, randomUUID } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import { nonPublicRangeOf } from '../private-targets.js';
import type { DnsResolver } from '../dns-resolver.js';
import type { SigningWebhook, WebhookEventType } from './webhooks.js';

export interface WebhookSenderSettings {
  resolver: DnsResolver;
  allowPrivateTargets: boolean;
  /** Delay before each retry; its length is the number of retries. */
  retryScheduleMs: number[];
  timeoutMs: number;
  logger: Logger;
  now?: () => number;
}

export class WebhookSender {
  private readonly retries = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly settings: WebhookSenderSettings) {}

  /** Sends `data` as event `type` to `webhook`, now and on failure again later. */
  send(webhook: SigningWebhook, type: WebhookEventType, data: Record<string, unknown>): void {
    if (this.closed) return;
    const now = (this.settings.now ?? Date.now)();
    const body = JSON.stringify({ id: randomUUID(), type, created_at: new Date(now).toISOString(), data });
    this.attempt(webhook, type, body, 0);
  }

  /** Waits for the requests under way and drops the pending retries (shutdown). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retries.size > 0) this.settings.logger.warn({ dropped: this.retries.size }, 'webhook retries dropped at shutdown');
    for (const timer of this.retries) clearTimeout(timer);
    this.retries.clear();
    await Promise.all(this.inFlight);
  }

  private attempt(webhook: SigningWebhook, type: WebhookEventType, body: string, tries: number): void {
    const { logger, retryScheduleMs } = this.settings;
    const log = { webhook: webhook.id, url: webhook.url, type, tries: tries + 1 };
    const request = this.post(webhook, body).then(
      (status) => {
        if (status < 200 || status > 299) throw new Error(`answered HTTP ${status}`);
      },
    ).catch((error: unknown) => {
      const delay = retryScheduleMs[tries];
      if (delay === undefined || this.closed) {
        logger.error({ ...log, err: error }, 'webhook request failed; giving up');
        return;
      }
      logger.warn({ ...log, err: error, retryInMs: delay }, 'webhook request failed; trying again later');
      const timer = setTimeout(() => {
        this.retries.delete(timer);
        this.attempt(webhook, type, body, tries + 1);
      }, delay);
      timer.unref();
      this.retries.add(timer);
    });
    this.inFlight.add(request);
    void request.finally(() => this.inFlight.delete(request));
  }

  /** One POST; resolves with the HTTP status. */
  private post(webhook: SigningWebhook, body: string): Promise<number> {
    const url = new URL(webhook.url);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    // an address in the URL itself is never looked up: check it here
    const range = isIP(host) ? nonPublicRangeOf(host) : undefined;
    if (range && !this.settings.allowPrivateTargets) return Promise.reject(new Error(`${host} is in ${range} address space (OUTPOST_ALLOW_PRIVATE_TARGETS)`));
    const signature = createHmac('sha256', webhook.secret).update(body).digest('hex');
    const client = url.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const request = client.request(
        url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'user-agent': 'Outpost-Webhooks/1',
            'x-outpost-signature': `sha256=${signature}`,
          },
          lookup: this.lookup,
          timeout: this.settings.timeoutMs,
        },
        (response) => {
          response.resume();
          response.once('end', () => resolve(response.statusCode ?? 0));
          response.once('error', reject);
        },
      );
      request.once('timeout', () => request.destroy(new Error(`no answer within ${this.settings.timeoutMs} ms`)));
      request.once('error', reject);
      request.end(body);
    });
  }

  /** net's lookup, through OUTPOST_DNS_SERVERS, keeping only addresses the policy allows. */
  private readonly lookup: LookupFunction = (hostname, options, callback) => {
    this.resolve(hostname).then(
      (addresses) => {
        if (options.all) callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
        else callback(null, addresses[0]!, isIP(addresses[0]!));
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };

  private async resolve(hostname: string): Promise<string[]> {
    const { resolver, allowPrivateTargets } = this.settings;
    const answers = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
    const found = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
    if (found.length === 0) throw new Error(`${hostname} has no A or AAAA record`);
    const allowed = allowPrivateTargets ? found : found.filter((address) => nonPublicRangeOf(address) === undefined);
    if (allowed.length === 0) throw new Error(`${hostname} resolves only to non-public addresses (${found.join(', ')}); see OUTPOST_ALLOW_PRIVATE_TARGETS`);
    return allowed;
  }
}
