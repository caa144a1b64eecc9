/**
 * Addresses of a send: which values may go into a header, and the envelope
 * recipients. Only a bare `local@domain` that core's address rule accepts
 * (bareAddressProblem: the envelope check, no relay form, read alike by every
 * parser) ever reaches a header, so the From/To/Cc a recipient sees and the
 * envelope Outpost sends to cannot differ (no display names, comments, quoted
 * local parts, routes or lists in one string). SMTP submission's From header
 * is checked by the same rule in the pipeline, with the same reasons.
 */
import { bareAddressProblem, domainOf, envelopeAddressProblem } from '../../../core/address.js';
import { isOutpostError } from '../../../core/errors.js';

// the REST fields that hold one address (schema, suppressions) take core's rule from here
export { bareAddressProblem };

export interface RecipientPlan {
  /** Bare addresses for the To header, each once. */
  to: string[];
  /** Bare addresses for the Cc header, each once and not already in To. */
  cc: string[];
  /**
   * Envelope recipients: to, cc and bcc with duplicates removed (case-insensitively,
   * first spelling kept). Addresses the envelope check refuses (relay forms like
   * x%y@z and y!x@z included) stay in, so the pipeline rejects them one by one and
   * the message's status says why.
   */
  envelope: string[];
  /** How many envelope recipients are bare addresses that will be sent to. */
  usable: number;
  /**
   * Unusable values the pipeline cannot record as a rejected recipient (no local part
   * or domain around the @, or accepted by the envelope check but read differently by
   * a parser): left out of the message and counted as rejected in the receipt.
   */
  refused: string[];
}

export function planRecipients(to: readonly string[], cc: readonly string[], bcc: readonly string[]): RecipientPlan {
  const plan: RecipientPlan = { to: [], cc: [], envelope: [], usable: 0, refused: [] };
  const seen = new Set<string>();
  const lists: [readonly string[], string[] | undefined][] = [[to, plan.to], [cc, plan.cc], [bcc, undefined]];
  for (const [addresses, header] of lists) {
    for (const address of addresses) {
      const key = address.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      if (bareAddressProblem(address) === undefined) {
        plan.envelope.push(address);
        header?.push(address);
        plan.usable++;
      } else if (envelopeAddressProblem(address) !== undefined && holdsDomain(address)) {
        plan.envelope.push(address);
      } else {
        plan.refused.push(address);
      }
    }
  }
  return plan;
}

/** Whether the pipeline can hold `address` as a recipient (core's own rule, so the two cannot drift). */
function holdsDomain(address: string): boolean {
  try {
    domainOf(address);
    return true;
  } catch (error) {
    if (isOutpostError(error, 'message_invalid')) return false;
    throw error;
  }
}
