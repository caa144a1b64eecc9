/**
 * GET /health (api/http/routes/ops.ts builds it): the verdict, the parts that
 * are down, and the queue beside it (never part of the verdict).
 */
import { z } from 'zod';

export const HealthJson = z.object({
  status: z.enum(['ok', 'unavailable']),
  failing: z.array(z.string()).optional().meta({ description: 'unavailable: the parts that are down (listeners by name, spool)', examples: [['spool']] }),
  queue: z.object({
    queued: z.number().int(),
    deferred: z.number().int(),
    deliveries_in_flight: z.number().int(),
  }),
});

export type HealthJson = z.infer<typeof HealthJson>;
