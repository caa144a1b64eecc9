/**
 * One webhook request: a JSON POST of a body, signed with the webhook's
 * secret, that must be answered within a time limit. It resolves with the
 * HTTP status whatever it is; what a status means is webhook-sender.ts's.
 *
 * Headers: `X-Outpost-Signature: sha256=<hex>`, the HMAC-SHA256 of the body
 * with the secret (as SPEC asks), and `X-Outpost-Event-Id`, the body's `id`,
 * the same on every attempt of one event so a receiver can drop repeats
 * without parsing (delivery is at least once). The body carries its
 * `created_at`, so a receiver can check freshness with signed data too.
 *
 * The host name is resolved through OUTPOST_DNS_SERVERS and every address
 * checked against the private-space policy before connecting (the request's
 * own lookup), so DNS cannot turn a webhook into a probe of the internal
 * network.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import type { DnsResolver } from '../dns-resolver.js';
import { nonPublicRangeOf } from '../private-targets.js';

export interface WebhookRequestSettings {
  resolver: DnsResolver;
  allowPrivateTargets: boolean;
  /** The whole request, connecting to the end of the answer; past it the request fails. */
  timeoutMs: number;
}

/** Where to POST and what to sign with. */
export interface WebhookTarget {
  url: string;
  secret: string;
}

/** POSTs `body` (event `eventId`) to `target`; resolves with the HTTP status, rejects when no answer came. */
export function postWebhook(settings: WebhookRequestSettings, target: WebhookTarget, eventId: string, body: string): Promise<number> {
  const url = new URL(target.url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  // an address in the URL itself is never looked up: check it here
  const range = isIP(host) ? nonPublicRangeOf(host) : undefined;
  if (range && !settings.allowPrivateTargets) return Promise.reject(new Error(`${host} is in ${range} address space (OUTPOST_ALLOW_PRIVATE_TARGETS)`));
  const signature = createHmac('sha256', target.secret).update(body).digest('hex');
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
          'x-outpost-event-id': eventId,
          'x-outpost-signature': `sha256=${signature}`,
        },
        lookup: lookupFor(settings),
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    // a deadline for the whole request, not only for silence: the sender's claim on a delivery lasts a bounded time
    const deadline = setTimeout(() => request.destroy(new Error(`no answer within ${settings.timeoutMs} ms`)), settings.timeoutMs);
    request.once('close', () => clearTimeout(deadline));
    request.once('error', reject);
    request.end(body);
  });
}

/** net's lookup, through OUTPOST_DNS_SERVERS, keeping only addresses the policy allows. */
function lookupFor(settings: WebhookRequestSettings): LookupFunction {
  return (hostname, options, callback) => {
    resolveAllowed(settings, hostname).then(
      (addresses) => {
        if (options.all) callback(null, addresses.map((address) => ({ address, family: isIP(address) })));
        else callback(null, addresses[0]!, isIP(addresses[0]!));
      },
      (error: NodeJS.ErrnoException) => callback(error, '', 0),
    );
  };
}

async function resolveAllowed(settings: WebhookRequestSettings, hostname: string): Promise<string[]> {
  const { resolver, allowPrivateTargets } = settings;
  const answers = await Promise.allSettled([resolver.resolve4(hostname), resolver.resolve6(hostname)]);
  const found = answers.flatMap((answer) => (answer.status === 'fulfilled' ? answer.value : []));
  if (found.length === 0) throw new Error(`${hostname} has no A or AAAA record`);
  const allowed = allowPrivateTargets ? found : found.filter((address) => nonPublicRangeOf(address) === undefined);
  if (allowed.length === 0) throw new Error(`${hostname} resolves only to non-public addresses (${found.join(', ')}); see OUTPOST_ALLOW_PRIVATE_TARGETS`);
  return allowed;
}
