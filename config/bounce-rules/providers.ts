/**
 * Bounce rules, first family: texts one provider or filtering gateway writes.
 * They come before the generic MTA phrases and the status-code table because a
 * provider's words say more than its status code: Gmail answers 5.7.1 both for
 * spam and for a policy, Yahoo and Mail.ru answer with bare 554/550 codes.
 * Each text is the provider's own wording, so a rule here never has to guess.
 */
import type { BounceRule } from './vocabulary.js';

export const PROVIDER_RULES: readonly BounceRule[] = [
  // Gmail and Google Workspace (support.google.com/mail/answer/3726730)
  { comment: 'Gmail: account does not exist', text: /The email account that you tried to reach does not exist/i, reason: 'userunknown', action: 'bounce' },
  { comment: 'Gmail: account disabled or inactive', text: /The email account that you tried to reach is (disabled|inactive)/i, reason: 'suspend', action: 'bounce' },
  { comment: 'Gmail: recipient over quota', text: /The email account that you tried to reach is over quota|inbox is out of storage space/i, reason: 'mailboxfull' },
  {
    comment: 'Gmail: recipient receives mail faster than Gmail accepts it',
    text: /receiving mail (at a rate|too quickly) that prevents additional messages/i,
    reason: 'ratelimited',
    action: 'defer',
  },
  { comment: 'Gmail: message over the size limit', text: /exceeded Google's message size limits/i, reason: 'mesgtoobig' },
  {
    comment: 'Google: daily sending quota of the account (Workspace sender limits, answered with 550 5.4.5)',
    text: /Daily (user )?sending (quota|limit) exceeded/i,
    reason: 'ratelimited',
    action: 'defer',
  },
  { comment: 'Gmail: unusual rate of unsolicited mail, temporarily rate limited', text: /unusual rate of unsolicited mail/i, reason: 'ratelimited', action: 'defer' },
  { comment: 'Gmail: message is likely unsolicited mail', text: /likely unsolicited mail/i, reason: 'spamdetected' },
  { comment: 'Gmail/Yahoo: sender not authenticated with SPF or DKIM', text: /sender is unauthenticated|requires all senders to authenticate/i, reason: 'authfailure' },
  { comment: "Gmail: rejected by the From domain's DMARC policy", text: /is not accepted due to (the )?domain's DMARC policy/i, reason: 'authfailure' },
  { comment: 'Gmail: sending IP without PTR or with a PTR that does not resolve back', text: /does not have a PTR record setup/i, reason: 'requireptr' },
  { comment: 'Gmail: attachment or content blocked as a security issue', text: /content presents a potential\s+security issue/i, reason: 'securityerror' },
  { comment: 'Google Workspace: recipient domain policy prohibits the mail', text: /has a policy that prohibited the mail that you sent/i, reason: 'policyviolation' },
  { comment: 'Google Groups: group missing or posting not allowed', text: /The group you tried to contact .{0,120}may not exist/i, reason: 'filtered' },

  // Exchange, Office 365, Outlook.com (learn.microsoft.com: Exchange Online NDRs)
  {
    comment: 'Exchange/Office 365: recipient not found by the directory (RESOLVER.ADR)',
    text: /RESOLVER\.ADR\.(RecipNotFound|RecipientNotFound|ExRecipNotFound)|Recipient not found by SMTP address lookup/i,
    reason: 'userunknown',
    action: 'bounce',
  },
  {
    comment: 'Office 365: directory-based edge blocking, the recipient does not exist (550 5.4.1 ... AS(nnn))',
    text: /Recipient address rejected: Access denied\.? AS\(\d+\)/i,
    reason: 'userunknown',
    action: 'bounce',
  },
  {
    comment: 'Exchange: mailbox over its store quota (STOREDRV)',
    text: /QuotaExceededException|MapiExceptionShutoffQuotaExceeded|STOREDRV\.Deliver.{0,60}mailbox full/i,
    reason: 'mailboxfull',
  },
  {
    comment: 'Outlook.com/Office 365: sending IP or network on the block list (S3150, 5.7.511, 5.7.606, 5.7.708)',
    text: /network is on our block list|banned sending IP|banned sender|traffic not accepted from this IP/i,
    reason: 'blocked',
  },
  {
    comment: 'Outlook.com/Office 365: hourly or daily limits, reputation throttling, server busy (RP-00x, 4.7.650, 4.7.500)',
    text: /\bRP-00\d\b|We have limits for how many messages|temporarily rate limited due to IP reputation|Server busy\. Please try again later/i,
    reason: 'ratelimited',
    action: 'defer',
  },
  { comment: 'Office 365: sending domain fails DMARC with p=reject (5.7.509)', text: /does not pass DMARC verification/i, reason: 'authfailure' },
  { comment: 'Office 365: delivery restriction of the recipient or group (RESOLVER.RST)', text: /RESOLVER\.RST\.\w+/i, reason: 'filtered' },
  { comment: 'Office 365: sending from a domain the tenant has not registered (5.7.750)', text: /blocked from sending from unregistered domains/i, reason: 'blocked' },
  { comment: 'Office 365: recipient domain does not exist in DNS (5.4.310)', text: /DNS domain \S+ does not exist|InfoDomainNonexistent/i, reason: 'hostunknown', action: 'bounce' },
  { comment: 'Exchange: hop count exceeded, a mail loop', text: /Hop count exceeded/i, reason: 'networkerror' },

  // Yahoo and AOL (one platform; senders.yahooinc.com/smtp-error-codes)
  { comment: "Yahoo/AOL: recipient has no account (554 delivery error: dd This user doesn't have a ... account)", text: /This user doesn't have an? \S+ account/i, reason: 'userunknown', action: 'bounce' },
  { comment: 'Yahoo/AOL: mailbox disabled (554.30)', text: /This mailbox is disabled|\(554\.30\)/i, reason: 'suspend', action: 'bounce' },
  { comment: 'Yahoo/AOL: account over quota', text: /This account is over quota/i, reason: 'mailboxfull' },
  { comment: 'Yahoo: all mail from the IP permanently deferred (TS03), retrying will not help', text: /Retrying will NOT succeed|will be permanently deferred/i, reason: 'blocked', action: 'bounce' },
  { comment: 'Yahoo: deferred for unexpected volume or user complaints (TSS04, TS01, TS02)', text: /\[TSS?0\d\]|temporarily deferred due to (unexpected volume|user complaints)/i, reason: 'blocked', action: 'defer' },
  { comment: 'Yahoo: connection refused for a listed IP (BL21, BL22, BL23)', text: /\[BL2\d\]/i, reason: 'blocked' },
  { comment: 'Yahoo: not accepted for policy reasons (554 5.7.9)', text: /Message not accepted for policy reasons/i, reason: 'policyviolation' },

  // Mail.ru and Yandex
  { comment: 'Mail.ru: local mailbox disabled or terminated', text: /Local mailbox \S+ is unavailable: (account is disabled|user is terminated)/i, reason: 'suspend', action: 'bounce' },
  { comment: 'Yandex/Mail.ru: mailbox frozen for inactivity', text: /Mailbox is frozen/i, reason: 'suspend', action: 'bounce' },
  { comment: 'Yandex: the recipient refuses mail from this sender', text: /Policy rejection on the target address/i, reason: 'filtered' },
  { comment: 'Mail.ru: rejected as spam (help.mail.ru/notspam-support)', text: /notspam-support|spam message rejected/i, reason: 'spamdetected' },

  // Zoho
  { comment: 'Zoho: unusual sending activity, retry later (5.4.6)', text: /Unusual sending activity detected/i, reason: 'ratelimited', action: 'defer' },

  // 1&1 Ionos: GMX, Web.de, mail.com (web.de/email/senderguidelines)
  { comment: '1&1 (GMX, Web.de): rejected for policy restrictions of the sending IP', text: /Reject due to policy restrictions/i, reason: 'blocked' },
  { comment: '1&1 (GMX, Web.de): sending IP has a bad PTR record', text: /Bad DNS PTR resource record/i, reason: 'requireptr' },
  { comment: '1&1 (GMX, Web.de): sender domain without a usable MX or A record', text: /invalid DNS MX or A\/AAAA resource record/i, reason: 'rejected' },
  { comment: '1&1 (GMX, Web.de): message over the size limit', text: /exceeded mailsize limit/i, reason: 'mesgtoobig' },

  // Comcast (postmaster.comcast.net/smtp-error-codes.php)
  { comment: 'Comcast: sending IP found on DNSBLs (BL000001)', text: /found on one or more DNSBLs|#BL0{3,}\d+/i, reason: 'blocked' },
  { comment: 'Comcast: throttled (RL000001)', text: /Throttled - try again later|#RL0{3,}\d+/i, reason: 'ratelimited', action: 'defer' },

  // Apple iCloud (support.apple.com/HT204137)
  { comment: 'iCloud: rejected under the local policy (CS01 and kin)', text: /\[CS0\d\] Message rejected/i, reason: 'policyviolation' },

  // Amazon SES
  { comment: 'Amazon SES: address on the suppression list after earlier hard bounces', text: /suppressed sending to this address/i, reason: 'userunknown', action: 'bounce' },

  // Filtering gateways
  { comment: 'Proofpoint: sending IP blocked (ipcheck.proofpoint.com)', text: /ipcheck\.proofpoint\.com|proofpoint\.com\/dnsbl-lookup/i, reason: 'blocked' },
  { comment: 'Mimecast: invalid recipient', text: /Invalid Recipient - https?:\/\/\S*mimecast/i, reason: 'userunknown', action: 'bounce' },
  { comment: 'Mimecast: envelope blocked by a user, domain or policy entry', text: /Envelope blocked - (User|Policy|Domain) Entry/i, reason: 'filtered' },
  { comment: 'Mimecast: blocked by the Blocked Senders policy', text: /Blocked Senders/i, reason: 'filtered' },
  { comment: 'Mimecast: header-based anti-spoofing policy', text: /Anti-Spoofing policy/i, reason: 'policyviolation' },
  { comment: 'Mimecast: internal resources temporarily unavailable', text: /Internal resources are temporarily unavailable/i, reason: 'systemerror', action: 'defer' },
  { comment: 'Mimecast and others: rejected by security policies', text: /(rejected|blocked) due to security polic(y|ies)/i, reason: 'policyviolation' },
  { comment: 'Barracuda: sending IP on the Barracuda Reputation list', text: /Barracuda Reputation|barracudacentral|barracudanetworks\.com\/reputation/i, reason: 'blocked' },
  { comment: 'Barracuda: recipient refused with a reason in parentheses (x@y:blocked)', text: /permanent failure for one or more recipients \(\S+:blocked\)/i, reason: 'blocked' },
  { comment: 'Spamhaus, SpamCop, SORBS, UCEPROTECT, PSBL: sending IP on a public blocklist', text: /spamhaus|spamcop|\bsorbs\b|uceprotect|\bpsbl\b|abuseat\.org/i, reason: 'blocked' },
];
