/**
 * Bounce rules, third family: the enhanced status codes of RFC 3463, with the
 * later registrations of the IANA "SMTP Enhanced Status Codes" registry
 * (RFC 5248 and the RFCs that added codes since), for replies whose text no
 * earlier rule recognised. One row serves both classes (4.x.x and 5.x.x), since
 * the class already says bounce or retry; where the subject names a property
 * of the address (a hard reason), the 4.x.x form gets its own soft row first,
 * because a temporary answer is no verdict on the address. Codes that only
 * ever appear in successes (x.1.5, x.3.6, x.1.9) have no row. Each subject ends
 * with a catch-all for details the registry may add later.
 */
import type { BounceRule } from './vocabulary.js';

export const STATUS_CODE_RULES: readonly BounceRule[] = [
  // x.1.x addressing
  { comment: 'RFC 3463 x.1.0: other address status', status: /^[45]\.1\.0$/, reason: 'rejected' },
  { comment: 'RFC 3463 x.1.1: bad destination mailbox address', status: /^[45]\.1\.1$/, reason: 'userunknown' },
  { comment: 'RFC 3463 4.1.2: destination system not found for now (DNS)', status: /^4\.1\.2$/, reason: 'networkerror' },
  { comment: 'RFC 3463 5.1.2: bad destination system address', status: /^5\.1\.2$/, reason: 'hostunknown' },
  { comment: 'RFC 3463 x.1.3: bad destination mailbox address syntax', status: /^[45]\.1\.3$/, reason: 'userunknown' },
  { comment: 'RFC 3463 x.1.4: destination mailbox address ambiguous', status: /^[45]\.1\.4$/, reason: 'userunknown' },
  { comment: 'RFC 3463 x.1.6: destination mailbox has moved, no forwarding address', status: /^[45]\.1\.6$/, reason: 'userunknown' },
  { comment: "RFC 3463 x.1.7, x.1.8: bad sender's mailbox address syntax or system address", status: /^[45]\.1\.[78]$/, reason: 'rejected' },
  { comment: 'RFC 7505 x.1.10: recipient domain publishes a null MX', status: /^[45]\.1\.10$/, reason: 'notaccept' },

  // x.2.x mailbox
  { comment: 'RFC 3463 x.2.0: other or undefined mailbox status', status: /^[45]\.2\.0$/, reason: 'filtered' },
  { comment: 'RFC 3463 4.2.1: mailbox temporarily not accepting messages', status: /^4\.2\.1$/, reason: 'systemerror' },
  { comment: 'RFC 3463 5.2.1: mailbox disabled, not accepting messages', status: /^5\.2\.1$/, reason: 'suspend' },
  { comment: 'RFC 3463 x.2.2: mailbox full', status: /^[45]\.2\.2$/, reason: 'mailboxfull' },
  { comment: 'RFC 3463 x.2.3: message length exceeds administrative limit', status: /^[45]\.2\.3$/, reason: 'exceedlimit' },
  { comment: 'RFC 3463 x.2.4: mailing list expansion problem', status: /^[45]\.2\.4$/, reason: 'systemerror' },
  { comment: 'x.2.x: other mailbox status', status: /^[45]\.2\.\d{1,3}$/, reason: 'filtered' },

  // x.3.x mail system
  { comment: 'RFC 3463 x.3.1: mail system full', status: /^[45]\.3\.1$/, reason: 'systemfull' },
  { comment: 'RFC 3463 x.3.4: message too big for system', status: /^[45]\.3\.4$/, reason: 'mesgtoobig' },
  { comment: 'RFC 3463 x.3.0, x.3.2, x.3.3, x.3.5 and others: mail system not accepting, not capable or misconfigured', status: /^[45]\.3\.\d{1,3}$/, reason: 'systemerror' },

  // x.4.x network and routing
  { comment: 'RFC 3463 5.4.4: unable to route (no MX or address for the domain)', status: /^5\.4\.4$/, reason: 'hostunknown' },
  { comment: 'RFC 3463 x.4.5: mail system congestion', status: /^[45]\.4\.5$/, reason: 'systemerror' },
  { comment: 'RFC 3463 x.4.7: delivery time expired', status: /^[45]\.4\.7$/, reason: 'expired' },
  { comment: 'RFC 3463 x.4.0 to x.4.6: no answer, bad connection, directory failure, routing loop', status: /^[45]\.4\.\d{1,3}$/, reason: 'networkerror' },

  // x.5.x mail delivery protocol
  { comment: 'RFC 3463 x.5.3: too many recipients', status: /^[45]\.5\.3$/, reason: 'exceedlimit' },
  { comment: 'RFC 3463 x.5.0 to x.5.6: invalid command, syntax error, wrong protocol version', status: /^[45]\.5\.\d{1,3}$/, reason: 'syntaxerror' },

  // x.6.x message content or media
  { comment: 'RFC 3463, RFC 6531 x.6.x: media not supported, conversion failed, SMTPUTF8 required', status: /^[45]\.6\.\d{1,3}$/, reason: 'contenterror' },

  // x.7.x security or policy
  { comment: 'RFC 3463 x.7.1: delivery not authorized, message refused', status: /^[45]\.7\.1$/, reason: 'blocked' },
  { comment: 'RFC 3463 x.7.2: mailing list expansion prohibited', status: /^[45]\.7\.2$/, reason: 'policyviolation' },
  { comment: 'IANA registry 5.7.13: user account disabled', status: /^5\.7\.13$/, reason: 'suspend' },
  { comment: 'RFC 6710 x.7.15: priority level is unsupported', status: /^[45]\.7\.15$/, reason: 'policyviolation' },
  { comment: 'RFC 6710 x.7.16: message too big for the specified priority', status: /^[45]\.7\.16$/, reason: 'mesgtoobig' },
  { comment: 'RFC 7293 5.7.17: mailbox owner has changed', status: /^5\.7\.17$/, reason: 'userunknown' },
  { comment: 'RFC 7293 5.7.18: domain owner has changed', status: /^5\.7\.18$/, reason: 'hostunknown' },
  { comment: 'RFC 7372 x.7.20 to x.7.22: no passing, acceptable or author-matched DKIM signature', status: /^[45]\.7\.2[0-2]$/, reason: 'authfailure' },
  { comment: 'RFC 7372 x.7.23, x.7.24: SPF validation failed or errored', status: /^[45]\.7\.2[34]$/, reason: 'authfailure' },
  { comment: 'RFC 7372 x.7.25: reverse DNS validation failed', status: /^[45]\.7\.25$/, reason: 'requireptr' },
  { comment: 'RFC 7372 x.7.26: multiple authentication checks failed', status: /^[45]\.7\.26$/, reason: 'authfailure' },
  { comment: 'RFC 7505 x.7.27: sender address has a null MX', status: /^[45]\.7\.27$/, reason: 'rejected' },
  { comment: 'IANA registry x.7.28: mail flood detected, a rate limit to retry', status: /^[45]\.7\.28$/, reason: 'ratelimited', action: 'defer' },
  { comment: 'RFC 8617 x.7.29: ARC validation failure', status: /^[45]\.7\.29$/, reason: 'authfailure' },
  {
    comment: 'RFC 3463, RFC 4954, RFC 8689 x.7.0, x.7.3 to x.7.14, x.7.19, x.7.30 and later: security features, credentials, encryption, REQUIRETLS',
    status: /^[45]\.7\.\d{1,3}$/,
    reason: 'securityerror',
  },
];
