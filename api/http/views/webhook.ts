/**
 * A webhook as /v1/webhooks shows it (api/http/routes/webhooks.ts builds it):
 * the signing secret only in the answer to its creation. (A delivery of its
 * log is the route's own WebhookDeliveryJson.)
 */
import { z } from 'zod';
import { WEBHOOK_EVENTS } from '../../../core/intake.js';
import { IsoTime } from './iso-time.js';

export const WebhookJson = z.object({
  id: z.string(),
  url: z.string(),
  events: z.array(z.enum(WEBHOOK_EVENTS)),
  created_at: IsoTime,
});

export const WebhookWithSecretJson = WebhookJson.extend({
  secret: z.string().meta({ description: 'HMAC-SHA256 key of X-Outpost-Signature; shown only here' }),
});

export const WebhookListJson = z.object({ items: z.array(WebhookJson) });

export type WebhookJson = z.infer<typeof WebhookJson>;
