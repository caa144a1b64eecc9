/**
 * What the events and recipient statuses carry besides their state: a bounce's
 * classification, a later report's details, a scanner's verdict, an engagement.
 * A leaf (it imports only the bounce vocabulary), so the message and event
 * shapes can use it without a cycle through core/status/types.ts.
 */
import type { BounceReason } from '../../config/bounce-rules.js';

/** Why a recipient bounced or complained, in sisimai's vocabulary, and whether its address is gone for good. */
export interface BounceClassification {
  reason: BounceReason;
  type: 'hard' | 'soft';
}

/** What a report received later (a DSN, a complaint) said about a recipient. */
export interface ReportDetails {
  /** When the report arrived. */
  reportedAt: number;
  /** The DSN's Diagnostic-Code, or the reply quoted by a bounce text. */
  diagnosticCode?: string;
  /** The server that refused the message, as the report names it. */
  remoteMta?: string;
  /** ARF Feedback-Type of a complaint (abuse, fraud, virus...). */
  feedbackType?: string;
}

/** A scanner's verdict on a message (the `scanned` event): which scanner, what it found. */
export interface ScanDetails {
  scanner: string;
  verdict: 'clean' | 'spam' | 'malware' | 'refused' | 'unavailable';
  score?: number;
  threshold?: number;
  /** Rule or symbol names the scanner matched (rspamd symbols, SpamAssassin tests, the built-in scanner's findings). */
  symbols?: string[];
  /** The signature name of the malware found. */
  virus?: string;
  /** What was done: refused the message, passed it (fail_open, test mode), or nothing to do. */
  action?: string;
}

/** What a recipient did with a delivered message (`opened`, `clicked`, `unsubscribed` events). */
export interface EngagementDetails {
  /** clicked: the link's URL. */
  url?: string;
  /** opened, clicked: looks like a machine (a privacy proxy or a scanner fetching everything), not a person. */
  machine?: boolean;
  /** unsubscribed: how (one-click POST, the confirmation page, mail to the unsubscribe address). */
  method?: 'one-click' | 'page' | 'mail';
}
