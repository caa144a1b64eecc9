/**
 * A sending domain as /v1/domains shows it (api/http/routes/domains.ts builds
 * it): status, DKIM selectors, defaults, and the complete dns_records list with
 * the result of the last verification on each record.
 */
import { z } from 'zod';
import type { DnsRecord } from '../../../core/intake.js';
import { DomainDefaultsBody, ScanSettingsBody } from '../routes/domains.js';

const RECORD_PURPOSES = ['ownership', 'spf', 'dkim', 'dmarc', 'return_path_mx', 'return_path_spf'] as const;
// Fails to compile when core gains a record purpose that this list (and so the API) lacks.
const everyPurposeListed: DnsRecord['purpose'] extends (typeof RECORD_PURPOSES)[number] ? true : never = true;
void everyPurposeListed;

const IsoTimeOrNull = z.string().nullable().meta({ description: 'ISO 8601, UTC; null: not yet', examples: ['2026-01-31T12:00:00.000Z'] });

export const DnsRecordJson = z.object({
  purpose: z.enum(RECORD_PURPOSES),
  type: z.enum(['TXT', 'MX']),
  name: z.string().meta({ description: 'fully qualified, without a trailing dot' }),
  value: z.string(),
  priority: z.number().int().optional().meta({ description: 'MX records' }),
  status: z.enum(['ok', 'missing', 'wrong', 'unchecked']).meta({ description: 'the result of the last verification' }),
  found: z.array(z.string()).optional().meta({ description: 'missing or wrong: what the lookup found instead' }),
  reason: z.string().optional().meta({ description: 'missing or wrong: what is wrong and what to do' }),
});

export const DomainJson = z.object({
  domain: z.string(),
  status: z.enum(['pending', 'verified']),
  created_at: IsoTimeOrNull,
  expires_at: IsoTimeOrNull.meta({ description: 'a domain not verified by then is removed; null once verified', examples: ['2026-02-07T12:00:00.000Z'] }),
  verified_at: IsoTimeOrNull,
  last_checked_at: IsoTimeOrNull,
  dkim: z.object({
    selector: z.string().meta({ description: 'the key messages are signed with' }),
    algorithm: z.enum(['rsa', 'ed25519']),
    next_selector: z.string().nullable().meta({ description: 'a rotation in progress: the key published alongside, used once verified' }),
  }),
  // scan as a record holds it (core's ScanSettings), which PATCH's stricter schema does not bound
  defaults: DomainDefaultsBody.extend({ scan: ScanSettingsBody.optional() }).meta({ description: 'the domain\'s defaults for the send options, and its content scanning' }),
  dns_records: z.array(DnsRecordJson).meta({ description: 'every record the owner must publish' }),
});

export const DomainListJson = z.object({ items: z.array(DomainJson) });

export type DomainJson = z.infer<typeof DomainJson>;
