/**
 * The shapes of message status, shared by the status store, the listing and
 * the cluster copy (and shown by the API): a message's summary, each
 * recipient's status, the event log, and the listing query and page.
 */
import type { BounceReason } from '../../config/bounce-rules.js';
import type { AttemptRecord } from '../events.js';
import type { RecipientState } from '../message.js';

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

export interface RecipientStatus {
  address: string;
  status: RecipientState;
  attempts: number;
  lastResponse: string | null;
  updatedAt: number;
  /** For bounced and complained recipients. */
  classification?: BounceClassification;
  /** For a bounce or complaint that came as a report after delivery. */
  report?: ReportDetails;
}

export interface MessageEvent {
  type:
    | 'accepted' | 'scanned' | 'rejected' | 'suppressed' | 'attempt' | 'deferred' | 'delivered' | 'bounced' | 'complained'
    | 'opened' | 'clicked' | 'unsubscribed' | 'quarantined' | 'test';
  at: number;
  recipient?: string;
  attempt?: AttemptRecord;
  /** Why, in words (rejections, suppressions, bounces). */
  reason?: string;
  classification?: BounceClassification;
  report?: ReportDetails;
  scan?: ScanDetails;
  engagement?: EngagementDetails;
  nextAttemptAt?: number;
}

export interface MessageSummary {
  id: string;
  accountId?: string;
  from: string;
  subject: string;
  tags: string[];
  createdAt: number;
  size: number;
}

export interface MessageStatusView extends MessageSummary {
  recipients: RecipientStatus[];
  events: MessageEvent[];
}

/** Filters of GET /v1/mail/messages; all optional, newest first. */
export interface MessageQuery {
  /** Some recipient has this status (with `recipient`: that recipient has it). */
  status?: RecipientState;
  /** Some recipient has this address, compared case-insensitively. */
  recipient?: string;
  /** The message carries this tag (exact match). */
  tag?: string;
  /** Inclusive lower bound on created_at (ms). */
  since?: number;
  /** Exclusive upper bound on created_at (ms). */
  until?: number;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface MessagePage {
  items: MessageStatusView[];
  nextCursor: string | null;
}
