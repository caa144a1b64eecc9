/**
 * A suppressed address as GET/POST /v1/suppressions show it
 * (api/http/routes/suppressions.ts builds it).
 */
import { z } from 'zod';
import type { Suppression } from '../../../core/intake.js';
import { IsoTime } from './iso-time.js';

const SUPPRESSION_REASONS = ['hard_bounce', 'complaint', 'unsubscribe', 'manual'] as const;
// Fails to compile when core gains a reason that this list (and so the API) lacks.
const everyReasonListed: Suppression['reason'] extends (typeof SUPPRESSION_REASONS)[number] ? true : never = true;
void everyReasonListed;

export const SuppressionJson = z.object({
  address: z.string().meta({ description: 'lower-cased' }),
  reason: z.enum(SUPPRESSION_REASONS),
  created_at: IsoTime,
});

export const SuppressionListJson = z.object({ items: z.array(SuppressionJson).meta({ description: 'newest first' }) });

export type SuppressionJson = z.infer<typeof SuppressionJson>;
