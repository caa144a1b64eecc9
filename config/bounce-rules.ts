/**
 * The bounce rules: data that turns a failure description (reply code,
 * enhanced status, text) into a sisimai reason and, where the reply class is
 * wrong, into bounce-now or retry. Read by core/bounces/classify.ts for both
 * delivery replies and bounce reports received later. First match wins, so the
 * families run from specific to generic: provider texts, generic MTA phrases,
 * enhanced status codes (RFC 3463), basic reply codes (RFC 5321).
 * Never code here: a new case is a new row.
 */
import { MTA_PHRASE_RULES } from './bounce-rules/mta-phrases.js';
import { PROVIDER_RULES } from './bounce-rules/providers.js';
import { REPLY_CODE_RULES } from './bounce-rules/reply-codes.js';
import { STATUS_CODE_RULES } from './bounce-rules/status-codes.js';
import type { BounceReason, BounceRule } from './bounce-rules/vocabulary.js';

export { BOUNCE_REASONS, type BounceReason, type BounceRule } from './bounce-rules/vocabulary.js';
export { MTA_PHRASE_RULES, PROVIDER_RULES, REPLY_CODE_RULES, STATUS_CODE_RULES };

export const BOUNCE_RULES: readonly BounceRule[] = [...PROVIDER_RULES, ...MTA_PHRASE_RULES, ...STATUS_CODE_RULES, ...REPLY_CODE_RULES];

/** Reasons that mean the address itself will never accept mail: only these (and complaints, unsubscribes) suppress it. */
export const HARD_REASONS: ReadonlySet<BounceReason> = new Set<BounceReason>(['userunknown', 'hostunknown', 'notaccept', 'suspend']);
