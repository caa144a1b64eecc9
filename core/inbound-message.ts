/**
 * Mail that arrives on the inbound MX listener (api/mx): bounces (DSNs),
 * complaints (ARF) and anything else sent to the return paths and the
 * postmaster/abuse addresses Outpost answers for. What the `mx:message` hook
 * receives; plugins read it, they do not change it (it is never relayed).
 */
import type { Headers } from '@zone-eu/mailsplit';

export interface InboundRecipient {
  /** The address as given in RCPT TO. */
  readonly address: string;
  /**
   * For a return path Outpost issued (its signature checked): the message and
   * the recipient it was issued for. Absent for postmaster@ and abuse@.
   */
  readonly returnPath?: { readonly messageId: string; readonly recipient?: string };
  /** What the address is for: a return path (bounces, complaints) or a message's List-Unsubscribe mailto:. */
  readonly purpose?: 'bounce' | 'unsubscribe';
}

export interface InboundMessage {
  /** Id of this arrival, for logs. */
  readonly id: string;
  /** Envelope sender (MAIL FROM); '' for bounces, as RFC 5321 asks. */
  readonly from: string;
  readonly recipients: readonly InboundRecipient[];
  /** The message's header block (read only). */
  readonly headers: Headers;
  /** The whole message as received, header and body. */
  readonly raw: Buffer;
  /** Address of the connecting server, and the name it gave in EHLO. */
  readonly remoteAddress: string;
  readonly helo: string;
  readonly receivedAt: number;
}
