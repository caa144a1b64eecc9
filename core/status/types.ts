/**
 * The shapes of message status, shared by the status store, the listing and
 * the cluster copy (and shown by the API): a message's summary, each
 * recipient's status, the event log, and the listing query and page.
 */
import type { AttemptRecord } from '../events.js';
import type { RecipientState } from '../message.js';
import type { BounceClassification, EngagementDetails, ReportDetails, ScanDetails } from './details.js';

export type { BounceClassification, EngagementDetails, ReportDetails, ScanDetails } from './details.js';

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
