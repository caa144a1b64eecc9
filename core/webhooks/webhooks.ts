/**
 * Each account's webhooks: a URL and the events it wants, with the secret
 * Outpost signs every request to it with (HMAC-SHA256, see webhook-request.ts),
 * kept sealed with OUTPOST_SECRET_KEY like the DKIM keys. One shared collection
 * per account, so in cluster mode every node sends to the same ones. The URL is checked when it is registered (http or https, no
 * credentials in it, not an address in private space unless
 * OUTPOST_ALLOW_PRIVATE_TARGETS); the addresses its name resolves to are
 * checked again on every request, as DNS can change. Each webhook's log of
 * deliveries (delivery-log.ts) is read through here, so only its account sees
 * it, and goes with the webhook.
 */
import { randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { nonPublicRangeOf } from '../private-targets.js';
import type { SecretBox } from '../domains/secret-box.js';
import { outpostError } from '../errors.js';
import { accountCollectionName, type SharedCollection, type SharedStore } from '../store/shared-store.js';
import { WebhookDeliveryLog, type WebhookDelivery } from './delivery-log.js';
import { WEBHOOK_EVENTS, type WebhookEventType } from './webhook-events.js';

export { WEBHOOK_EVENTS, type WebhookEventType } from './webhook-events.js';
export type { WebhookDelivery, WebhookDeliveryStatus } from './delivery-log.js';

export interface Webhook {
  id: string;
  url: string;
  events: WebhookEventType[];
  createdAt: number;
}

/** A webhook with its secret, which signs each request; shown to the account once, when it is created. */
export interface SigningWebhook extends Webhook {
  accountId: string;
  secret: string;
}

interface StoredWebhook extends Webhook {
  sealedSecret: string;
}


function refuse(field: string, problem: string): never {
  throw outpostError('invalid_request', `${field}: ${problem}`, { details: [{ field, problem }] });
}

/** The URL as Outpost will call it, or a 400 naming `url`. */
export function checkedWebhookUrl(text: string, allowPrivateTargets: boolean): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return refuse('url', 'not an absolute URL; give one like https://example.com/outpost-events');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') refuse('url', `${url.protocol} is not supported; use https (or http)`);
  if (url.username || url.password) refuse('url', 'credentials in the URL are refused; every request is signed with the webhook secret instead');
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const range = isIP(host) ? nonPublicRangeOf(host) : host === 'localhost' || host.endsWith('.localhost') ? 'loopback' : undefined;
  if (range && !allowPrivateTargets) refuse('url', `${host} is in ${range} address space; Outpost does not call private addresses (OUTPOST_ALLOW_PRIVATE_TARGETS)`);
  return url.toString();
}

/**
 * How long an account's list of webhooks is reused for its events. Every event
 * of every message looks it up, and the embedded store does not cache whole
 * collections; changes made on this node apply at once, those made on another
 * node of a cluster within this time.
 */
const SUBSCRIPTIONS_CACHE_MS = 5_000;

export class WebhookService {
  private readonly cached = new Map<string, { until: number; webhooks: Promise<StoredWebhook[]> }>();
  /** Every webhook's deliveries: pending ones (for the sender) and the log (for the account). */
  readonly deliveries: WebhookDeliveryLog;

  constructor(
    private readonly store: SharedStore,
    private readonly box: SecretBox,
    private readonly settings: { allowPrivateTargets: boolean; logSize: number },
    private readonly now: () => number = Date.now,
  ) {
    this.deliveries = new WebhookDeliveryLog(store, settings.logSize);
  }

  private entries(accountId: string): SharedCollection<StoredWebhook> {
    return this.store.collection<StoredWebhook>(accountCollectionName('webhooks', accountId));
  }

  async create(accountId: string, url: string, events: string[]): Promise<SigningWebhook> {
    const unknown = events.filter((event) => !(WEBHOOK_EVENTS as readonly string[]).includes(event));
    if (unknown.length > 0) refuse('events', `unknown event ${unknown.map((event) => `"${event}"`).join(', ')}; the events are ${WEBHOOK_EVENTS.join(', ')}`);
    const webhook: Webhook = {
      id: `wh${randomBytes(8).toString('hex')}`,
      url: checkedWebhookUrl(url, this.settings.allowPrivateTargets),
      events: [...new Set(events as WebhookEventType[])],
      createdAt: this.now(),
    };
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    await this.entries(accountId).put(webhook.id, { ...webhook, sealedSecret: this.box.seal(secret) });
    this.cached.delete(accountId);
    return { ...webhook, accountId, secret };
  }

  /** The account's webhooks, oldest first, without their secrets. */
  async list(accountId: string): Promise<Webhook[]> {
    const stored = (await this.entries(accountId).list()).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
    return stored.map(({ id, url, events, createdAt }) => ({ id, url, events, createdAt }));
  }

  async delete(accountId: string, id: string): Promise<void> {
    await this.requireWebhook(accountId, id);
    await this.entries(accountId).delete(id);
    this.cached.delete(accountId);
    // its pending deliveries are never tried again, and its log goes with it
    await this.deliveries.forgetWebhook(accountId, id);
  }

  /** The webhook's deliveries, newest first: 404 unless it is the account's. */
  async listDeliveries(accountId: string, id: string, limit: number): Promise<WebhookDelivery[]> {
    await this.requireWebhook(accountId, id);
    return this.deliveries.list(accountId, id, limit);
  }

  /** The account's webhooks that want `event`, with their secrets to sign with. */
  async subscribed(accountId: string, event: WebhookEventType): Promise<SigningWebhook[]> {
    const wanting = (await this.stored(accountId)).filter((webhook) => webhook.events.includes(event));
    return wanting.map((webhook) => this.signing(accountId, webhook));
  }

  /** The webhook `id` of the account as it is now, with its secret; undefined when there is none (deleted). */
  async find(accountId: string, id: string): Promise<SigningWebhook | undefined> {
    const webhook = (await this.stored(accountId)).find((each) => each.id === id);
    return webhook && this.signing(accountId, webhook);
  }

  private signing(accountId: string, { sealedSecret, ...webhook }: StoredWebhook): SigningWebhook {
    return { ...webhook, accountId, secret: this.box.open(sealedSecret) };
  }

  /** A 404 unless the account has webhook `id` (another account's is not found either). */
  private async requireWebhook(accountId: string, id: string): Promise<void> {
    if (!(await this.entries(accountId).get(id))) throw outpostError('not_found', 'no such webhook in this account; GET /v1/webhooks lists them');
  }

  private stored(accountId: string): Promise<StoredWebhook[]> {
    const now = this.now();
    const entry = this.cached.get(accountId);
    if (entry && entry.until > now) return entry.webhooks;
    const webhooks = this.entries(accountId).list();
    this.cached.set(accountId, { until: now + SUBSCRIPTIONS_CACHE_MS, webhooks });
    // a failed read is not kept
    webhooks.catch(() => this.cached.delete(accountId));
    if (this.cached.size > 10_000) this.cached.delete(this.cached.keys().next().value!);
    return webhooks;
  }
}
