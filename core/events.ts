/**
 * The typed event bus: what happened to a message, for logs, webhooks and
 * metrics to observe. Listeners cannot change the outcome; one that throws is
 * logged and the others still run, so an observer can never break delivery.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { BounceReason } from '../config/bounce-rules.js';
import type { ReportDetails } from './status/details.js';

/** One delivery attempt as recorded in a recipient's log. */
export interface AttemptRecord {
  at: number;
  /** MX host name tried (absent when no host could be reached or resolved). */
  mx?: string;
  ip?: string;
  port?: number;
  /** TLS in use for the transaction, or null for plaintext. */
  tls?: { protocol: string; cipher: string } | null;
  /** SMTP reply code; absent for network failures. */
  code?: number;
  /** Enhanced status code, e.g. 5.1.1. */
  status?: string;
  /** Full reply text or a description of the failure. */
  response: string;
  durationMs: number;
}

interface RecipientEvent {
  messageId: string;
  /** The sending account (absent for mail Outpost sends itself). */
  accountId?: string;
  recipient: string;
  at: number;
}

export interface OutpostEvents {
  'message:accepted': {
    messageId: string;
    accountId?: string;
    from: string;
    /** The recipients queued for delivery. */
    recipients: string[];
    /** The others, and why not queued: test mode, on the suppression list, refused. */
    notQueued: { address: string; state: 'test' | 'suppressed' | 'rejected' }[];
    tags: string[];
    size: number;
    at: number;
  };
  'message:rejected': { messageId: string; from: string; code: number; status: string; text: string; at: number };
  'recipient:deferred': RecipientEvent & { attempt: AttemptRecord; nextAttemptAt: number };
  'recipient:delivered': RecipientEvent & { attempt: AttemptRecord };
  /**
   * A recipient bounced: on a delivery attempt's reply (`attempt`), when its queue time ran
   * out, or later, by a report that came back (`report`, and `async`: it had been delivered).
   * `reason` and `bounceType` come from the one classifier (core/bounces/classify.ts).
   */
  'recipient:bounced': RecipientEvent & {
    attempt?: AttemptRecord;
    reason: BounceReason;
    bounceType: 'hard' | 'soft';
    /** What happened, in words (the reply, or why the queue gave up). */
    description: string;
    async: boolean;
    report?: ReportDetails;
  };
  /** A recipient complained (an ARF report came back): it is suppressed for the account. */
  'recipient:complained': RecipientEvent & { feedbackType: string; report: ReportDetails };
  /** The tracking image was fetched; `machine` when it looks like a proxy or scanner, not a person. */
  'recipient:opened': RecipientEvent & { machine: boolean };
  /** A tracked link was followed. */
  'recipient:clicked': RecipientEvent & { url: string; machine: boolean };
  /** The recipient unsubscribed (one-click POST, the page, or mail to the unsubscribe address). */
  'recipient:unsubscribed': RecipientEvent & { method: 'one-click' | 'page' | 'mail' };
  /** Every recipient of the message reached a final state; its spool records are gone. */
  'message:done': { messageId: string; at: number };
  /** A domain passed verification (first time, or again after its records came back). */
  'domain:verified': { domain: string; accountId: string; at: number };
  /** A verified domain's records disappeared or changed: it stops sending until fixed. */
  'domain:unverified': { domain: string; accountId: string; at: number; problems: string[] };
  /** A spool record could not be read at start and was set aside. */
  'spool:quarantined': { messageId: string; reason: string; at: number };
}

export type EventName = keyof OutpostEvents;
export type EventListener<E extends EventName> = (payload: OutpostEvents[E]) => void | Promise<void>;

export class EventBus {
  private readonly emitter = new EventEmitter();

  /**
   * `forward`, in a worker: events are handed to the primary, where every
   * listener runs, instead of to listeners here (each event runs its listeners
   * once, in one process).
   */
  constructor(
    private readonly logger: Logger,
    private readonly forward?: <E extends EventName>(event: E, payload: OutpostEvents[E]) => void,
  ) {
    this.emitter.setMaxListeners(0);
  }

  on<E extends EventName>(event: E, listener: EventListener<E>, owner = 'core'): void {
    this.emitter.on(event, (payload: OutpostEvents[E]) => {
      try {
        const pending = listener(payload);
        if (pending) pending.catch((error: unknown) => this.reportListenerError(event, owner, error));
      } catch (error) {
        this.reportListenerError(event, owner, error);
      }
    });
  }

  emit<E extends EventName>(event: E, payload: OutpostEvents[E]): void {
    if (this.forward) this.forward(event, payload);
    else this.emitter.emit(event, payload);
  }

  private reportListenerError(event: string, owner: string, error: unknown): void {
    this.logger.error({ event, plugin: owner, err: error }, 'event listener failed');
  }
}
