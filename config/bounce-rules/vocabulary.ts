/**
 * The words the bounce rules speak: sisimai's public reason vocabulary (the
 * subset Outpost uses) and the shape of one rule. Kept apart from the tables
 * so each family file can import it without a cycle through
 * config/bounce-rules.ts, which assembles them.
 */

/** sisimai reason names, spelled as sisimai spells them so reports and dashboards line up. */
export const BOUNCE_REASONS = [
  'userunknown',
  'hostunknown',
  'mailboxfull',
  'mesgtoobig',
  'exceedlimit',
  'filtered',
  'rejected',
  'blocked',
  'spamdetected',
  'virusdetected',
  'policyviolation',
  'securityerror',
  'expired',
  'suspend',
  'norelaying',
  'notaccept',
  'networkerror',
  'systemerror',
  'systemfull',
  'toomanyconn',
  'contenterror',
  'syntaxerror',
  'ratelimited',
  'requireptr',
  'notcompliantrfc',
  'authfailure',
  'feedback',
  'undefined',
] as const;

export type BounceReason = (typeof BOUNCE_REASONS)[number];

/** One row of the table: every matcher it gives must match (AND), and it gives at least one. */
export interface BounceRule {
  /** What the rule recognises, for logs and reviews (e.g. "Gmail: account does not exist"). */
  comment: string;
  /** Matched against the 3-digit reply code as a string, e.g. /^55[04]$/. */
  code?: RegExp;
  /** Matched against the enhanced status, e.g. /^5\.1\.1$/. */
  status?: RegExp;
  /** Matched against the reply or diagnostic text (case-insensitive regexes). */
  text?: RegExp;
  reason: BounceReason;
  /** Override of the reply class: 'bounce' makes a 4xx permanent, 'defer' makes a 5xx temporary (greylisting 550, rate limits). */
  action?: 'bounce' | 'defer';
}
