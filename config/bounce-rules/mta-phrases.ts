/**
 * Bounce rules, second family: phrases any MTA may write (Postfix, Exim,
 * Sendmail, qmail, Courier, Domino, Exchange on-premises, appliance filters),
 * after the provider texts and before the status-code table. The order inside
 * this list matters and each position says why in its comment: a sender
 * rejection before "user unknown" ("Sender address rejected: User unknown"),
 * blocklists before "spam" (a list name says more than the word), a disabled
 * account before "invalid mailbox" (Mail.ru writes both).
 */
import type { BounceRule } from './vocabulary.js';

export const MTA_PHRASE_RULES: readonly BounceRule[] = [
  // An RFC 5965 complaint reaches the classifier as its "Feedback-Type: abuse" line; a complaint stops mail at once.
  { comment: 'ARF complaint (RFC 5965 Feedback-Type field)', text: /^Feedback-Type:\s*\S/i, reason: 'feedback', action: 'bounce' },
  // Greylisting asks every new sender to come back; some servers answer it with a 5xx, which must not bounce.
  { comment: 'Greylisting (postgrey, rspamd, milter-greylist), even when answered with a 5xx', text: /gr[ae]y-?list/i, reason: 'blocked', action: 'defer' },
  // The reporting MTA has already given up after its own retries: nothing is left to retry.
  {
    comment: 'Reporting MTA gave up after its queue lifetime (Postfix, Exim retry timeout, Sendmail "Cannot send message for 5 days", qmail)',
    text: /retry time(out)? (exceeded|not reached for any host after a long failure period)|have been failing for a long time|message expired|delivery time expired|(in|been in) the queue too long|Cannot send message for \d+ days?|could not be delivered for \d+ days?|maximal_queue_lifetime|Delivery expired/i,
    reason: 'expired',
    action: 'bounce',
  },
  // Before "user unknown": the rejected address is ours, not the recipient's.
  {
    comment: 'Envelope sender rejected (Postfix "Sender address rejected", Exim "Sender verify failed", sender domain must exist)',
    text: /Sender address rejected|Sender verif(y|ication) failed|sender domain must (exist|resolve)|Domain of sender address \S+ does not exist|sender address must exist|Sender rejected|Bad sender address|invalid sender/i,
    reason: 'rejected',
  },
  {
    comment: 'Relaying denied (Postfix "Relay access denied", qmail "not in my list of allowed rcpthosts", Exim "relay not permitted")',
    text: /relay(ing)? (access )?(denied|not permitted|disallowed|prohibited|not allowed)|not permitted to relay|list of allowed rcpthosts|unable to relay|we do not relay|no relaying/i,
    reason: 'norelaying',
  },
  {
    comment: 'Rate limits and sending quotas',
    text: /rate[- ]?limit|too many (messages|emails|mails)|sending (quota|limit|rate)|throttl|temporarily deferred due to (volume|rate)/i,
    reason: 'ratelimited',
    action: 'defer',
  },
  {
    comment: 'Too many connections or sessions from the sending IP',
    text: /too many (concurrent |simultaneous |parallel )?(smtp )?(connections|sessions)|connection (limit|rate limit) (exceeded|reached)|too much load/i,
    reason: 'toomanyconn',
    action: 'defer',
  },
  // Before "spam": "JunkMail rejected - 192.0.2.1 is listed at an RBL" is a list block, not a verdict on the content.
  {
    comment: 'Sending IP on a DNS blocklist ("blocked using", "listed at", RBL, DNSBL, blacklist)',
    text: /blocked using|(?<!not )listed (at|on|in|by) |\bRBL\b|\bDNSBL|block ?list(ed)?|black ?list(ed)?/i,
    reason: 'blocked',
  },
  { comment: 'Virus or malware found', text: /virus|malware|infected|trojan|malicious (content|attachment|link|url)/i, reason: 'virusdetected' },
  {
    comment: 'Content judged as spam (SpamAssassin, rspamd, appliances)',
    text: /\bspam\b|unsolicited|junk ?mail|spam ?(score|scoring)|score too high|bulk mail/i,
    reason: 'spamdetected',
  },
  { comment: 'SPF, DKIM or DMARC failure', text: /\b(DMARC|SPF|DKIM)\b|domain ?keys|sender policy framework/i, reason: 'authfailure' },
  {
    comment: 'Sending IP without reverse DNS (Postfix "cannot find your reverse hostname", PTR required)',
    text: /reverse (DNS|hostname|lookup)|\bPTR\b|cannot find your hostname|\brDNS\b/i,
    reason: 'requireptr',
  },
  {
    comment: 'TLS required or failed, AUTH required',
    text: /STARTTLS|TLS (handshake|negotiation) failed|TLS is required|Must use TLS|encryption required|authentication (is )?required/i,
    reason: 'securityerror',
  },
  // Before "user unknown": Mail.ru writes "invalid mailbox. Local mailbox x is unavailable: account is disabled".
  {
    comment: 'Account disabled, suspended or inactive',
    text: /account (has been |is )?(disabled|suspended|deactivated|inactive|closed|locked)|mailbox (has been |is )?(disabled|suspended|inactive|deactivated|closed)|user (is )?(suspended|terminated|inactive|disabled)|account is not active|no longer (active|in use)/i,
    reason: 'suspend',
    action: 'bounce',
  },
  // The address itself does not exist; a 4xx saying so (Postfix with soft_bounce or unknown_local_recipient_reject_code=450) is final all the same.
  {
    comment: 'Recipient does not exist (Postfix, Exim, Sendmail, qmail, Courier, Domino, Dovecot, appliances)',
    text: /user unknown|unknown user|no such (user|mailbox|recipient|account|address|person)|user (does not|doesn't) exist|user not found|(mailbox|account|recipient|address|addressee) (does not|doesn't) exist|(mailbox|recipient|addressee) (is )?(unknown|not found)|invalid (mailbox|recipient)|not a valid (mailbox|recipient|user)|unknown (recipient|mailbox|local[- ]part)|no mailbox here by that name|mailbox not found|not listed in (the )?(Domino Directory|public Name & Address Book)|bad destination mailbox|Unknown or illegal alias|recipient not found|address (is )?no longer valid|this address no longer accepts mail/i,
    reason: 'userunknown',
    action: 'bounce',
  },
  // RFC 5321's own 550 text; a 450 with the same words means "busy", so only the 5xx counts.
  { comment: 'RFC 5321 550 "mailbox unavailable" (Outlook.com S2017062302, GMX, many others)', code: /^5/, text: /mailbox (is )?unavailable/i, reason: 'userunknown', action: 'bounce' },
  // Before "host unknown": a DNS answer that may change is not a verdict on the domain.
  {
    comment: 'Temporary DNS failure (Postfix "Host not found, try again", SERVFAIL, lookup timeout)',
    text: /Host not found, try again|temporary failure in name resolution|SERVFAIL|DNS (query|lookup) (failed|timed out)|lookup failed temporarily/i,
    reason: 'networkerror',
  },
  { comment: 'Postfix 450 "Domain not found": the DNS lookup of the recipient domain failed for now', code: /^4/, text: /Domain not found/i, reason: 'networkerror' },
  {
    comment: 'Recipient domain does not exist or has no mail host (Postfix, Exim "Unrouteable address", Sendmail "Host unknown", qmail #5.1.2)',
    text: /Host unknown|unknown host|Host or domain name not found|Host not found|Domain not found|Unrouteable address|no such domain|domain (does not|doesn't) exist|couldn't find any host named|MX records point to non-existent hosts|NXDOMAIN|unknown domain/i,
    reason: 'hostunknown',
    action: 'bounce',
  },
  { comment: 'Domain publishes a null MX or refuses all mail (RFC 7505, RFC 7504 521/556)', text: /does not accept (e-?)?mail|null MX|accepts no mail/i, reason: 'notaccept', action: 'bounce' },
  // Before the message-size phrases: "Mailbox size limit exceeded" is about the mailbox.
  {
    comment: 'Mailbox full or over quota (Dovecot, Exim, qmail-ldap, vpopmail, Courier)',
    text: /mail ?box (is )?full|full mailbox|mail ?box (size )?(limit|quota) exceeded|over ?quota|quota exceeded|exceeded (its |the )?(storage|disk) (allocation|quota|limit)|disk quota|mailfolder is over|out of storage space/i,
    reason: 'mailboxfull',
  },
  { comment: 'Receiving system out of storage (RFC 5321 452)', text: /insufficient system (storage|resources)|system (storage|disk) (is )?full|no space left|out of disk space/i, reason: 'systemfull' },
  {
    comment: 'Message too large (Postfix "Message size exceeds fixed limit", Exim "message too big", Sendmail)',
    text: /message (size )?(is )?too (big|large)|(message )?size exceeds|exceeds (the )?(maximum|max|fixed|allowed) (message )?size|message file too big|message length exceeds|too large|size limit/i,
    reason: 'mesgtoobig',
  },
  { comment: 'Too many recipients in one transaction', text: /too many recipients|recipient limit|number of recipients/i, reason: 'exceedlimit' },
  {
    comment: 'Recipient or its filter refuses this sender ("Recipient address rejected: Access denied", not accepting mail from you)',
    text: /Recipient address rejected: Access denied|not accepting (mail|messages) from|not authori[sz]ed to (send|post|email)|(refused|rejected|blocked) by (the )?recipient|recipient rejects|You are not allowed to send|only accepts mail from/i,
    reason: 'filtered',
  },
  {
    comment: 'Local or content policy (prohibited attachments, administrative prohibition)',
    text: /(local|site|security|content|company) policy|policy (reasons|restrictions|violation|rejection)|prohibited (attachment|file|content)|attachment (type )?(is )?(not allowed|blocked|prohibited)|administrative(ly)? prohibit/i,
    reason: 'policyviolation',
  },
  {
    comment: 'Message breaks RFC 5322 (bare LF, Exchange BareLinefeedsAreIllegal, lines too long, missing or duplicate headers)',
    text: /RFC ?(5322|2822|822|5321)|not (RFC|standards?)[- ]compliant|bare ?(LF|linefeeds?)|lines? too long|line length exceeded|invalid (header|Message-ID)|missing (required )?(header|Date|Message-ID|From)|duplicate header|malformed (header|message)/i,
    reason: 'notcompliantrfc',
  },
  {
    comment: 'SMTP protocol or address syntax error',
    text: /syntax error|command (not )?(unrecognized|recognized|implemented)|bad sequence of commands|unrecognized command|Bad (recipient )?address syntax|invalid address syntax|malformed address/i,
    reason: 'syntaxerror',
  },
  { comment: 'MIME or encoding the receiver cannot take (8BITMIME, SMTPUTF8)', text: /invalid MIME|MIME (error|violation)|8-?bit (data|characters) not (allowed|permitted)|SMTPUTF8 (is )?(required|not supported)|media not supported/i, reason: 'contenterror' },
  {
    comment: 'Connection or routing failure (timeouts, refused, lost connection, mail loop)',
    text: /connection (timed out|refused|reset|closed|lost)|timed out|lost connection|no route to host|network is unreachable|host is unreachable|(unable|could not|couldn't) (to )?(connect|establish)|mail (for \S+ )?loops back to myself|routing loop|mail loop|too many hops/i,
    reason: 'networkerror',
  },
  {
    comment: 'Sending host blocked or refused (reputation, client host rejected, access denied)',
    text: /\bblocked\b|reputation|client host rejected|Helo command rejected|access denied|banned|refused to talk to me|connection rejected/i,
    reason: 'blocked',
  },
  // A 5xx that asks to come back later is a temporary refusal in the wrong class.
  { comment: 'A 5xx that says "try again later"', code: /^5/, text: /(try|retry) (again )?later|please retry|temporar(il)?y (unavailable|deferred|rejected)/i, reason: 'systemerror', action: 'defer' },
  {
    comment: 'Receiving system error (local error in processing, service unavailable)',
    text: /local error|internal (server )?error|system (error|problem)|temporary (local )?problem|service (temporarily )?unavailable|server (is )?(busy|unavailable)|resources temporarily unavailable|I\/O error/i,
    reason: 'systemerror',
  },
];
