/**
 * An account as the admin endpoints show it (core's accountView), with its key
 * only when created or rotated; and an account's sending health (bounce and
 * complaint rates against the pause thresholds).
 */
import { z } from 'zod';
import type { AccountView } from '../../../core/intake.js';
import { ScanSettingsBody } from '../routes/domains.js';
import { IsoTime } from './iso-time.js';

const ACCOUNT_STATUSES = ['active', 'disabled', 'paused'] as const;
// Fails to compile when core gains a status that this list (and so the API) lacks.
const everyStatusListed: AccountView['status'] extends (typeof ACCOUNT_STATUSES)[number] ? true : never = true;
void everyStatusListed;

const AccountStatus = z.enum(ACCOUNT_STATUSES).meta({ description: 'paused: sending stopped for its bounce or complaint rate until an admin resumes it' });
const PausedReason = z.string().optional().meta({ description: 'paused: why' });

export const AccountJson = z.object({
  id: z.string(),
  name: z.string(),
  status: AccountStatus,
  paused_reason: PausedReason,
  created_at: IsoTime,
  key_rotated_at: IsoTime,
  scan: ScanSettingsBody.optional().meta({ description: 'content scanning for the account\'s mail, when set' }),
});

export const AccountWithKeyJson = AccountJson.extend({
  api_key: z.string().meta({ description: 'the API key (op_...); shown only here' }),
});

export const AccountListJson = z.object({ items: z.array(AccountJson) });

export const AccountHealthJson = z.object({
  status: AccountStatus,
  paused_reason: PausedReason,
  window_hours: z.number().int().meta({ description: 'the window the counts cover' }),
  delivered: z.number().int(),
  bounced: z.number().int().meta({ description: 'every bounce, hard or soft' }),
  hard_bounces: z.number().int(),
  complaints: z.number().int(),
  bounce_rate: z.number().meta({ description: 'hard_bounces / (delivered + bounced)' }),
  complaint_rate: z.number().meta({ description: 'complaints / delivered' }),
  pause_bounce_rate: z.number().meta({ description: 'the account is paused at this bounce rate' }),
  pause_complaint_rate: z.number().meta({ description: 'the account is paused at this complaint rate' }),
  min_sent: z.number().int().meta({ description: 'no pause before this many messages in the window' }),
});

export type AccountJson = z.infer<typeof AccountJson>;
export type AccountHealthJson = z.infer<typeof AccountHealthJson>;
