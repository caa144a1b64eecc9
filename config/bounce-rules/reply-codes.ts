/**
 * Bounce rules, last family: basic reply codes (RFC 5321 4.2, RFC 7504) for
 * replies with no enhanced status and no text an earlier rule knows. Only codes
 * with one meaning have a row: 450, 550 and 554 mean anything from "busy" to
 * "spam" to "no such user", so they stay 'undefined' and the reply class
 * alone decides bounce or retry.
 */
import type { BounceRule } from './vocabulary.js';

export const REPLY_CODE_RULES: readonly BounceRule[] = [
  { comment: 'RFC 5321 421: service not available, closing the channel', code: /^421$/, reason: 'systemerror' },
  { comment: 'RFC 5321 451: local error in processing', code: /^451$/, reason: 'systemerror' },
  { comment: 'RFC 5321 452: insufficient system storage', code: /^452$/, reason: 'systemfull' },
  { comment: 'RFC 3207, RFC 4954 454: TLS or authentication temporarily unavailable', code: /^454$/, reason: 'securityerror' },
  { comment: 'RFC 5321 455: server unable to accommodate parameters', code: /^455$/, reason: 'systemerror' },
  { comment: 'RFC 5321 500 to 504: syntax error, command not implemented, bad sequence', code: /^50[0-4]$/, reason: 'syntaxerror' },
  { comment: 'RFC 7504 521 and 556: host or domain does not accept mail', code: /^(521|556)$/, reason: 'notaccept' },
  { comment: 'RFC 3207, RFC 4954 530, 534, 535, 538: STARTTLS or authentication required, credentials invalid', code: /^(530|534|535|538)$/, reason: 'securityerror' },
  { comment: 'RFC 5321 551: user not local (the address has moved)', code: /^551$/, reason: 'userunknown' },
  { comment: 'RFC 5321 552: exceeded storage allocation', code: /^552$/, reason: 'mailboxfull' },
  { comment: 'RFC 5321 553: mailbox name not allowed (syntax)', code: /^553$/, reason: 'syntaxerror' },
  { comment: 'RFC 5321 555: MAIL FROM or RCPT TO parameters not recognized', code: /^555$/, reason: 'syntaxerror' },
];
