// Tests core/bounces/classify.ts (classifyBounce, parseReplyLine) against replies real servers send, and the shape of
// the rules table in config/bounce-rules.ts (a matcher on every rule, reasons from the vocabulary, specific before generic).
import assert from 'node:assert/strict';
import { BOUNCE_REASONS, BOUNCE_RULES, HARD_REASONS, MTA_PHRASE_RULES, PROVIDER_RULES, type BounceReason } from '../../../config/bounce-rules.js';
import { classifyBounce, parseReplyLine } from '../../../core/bounces/classify.js';

type Expected = [reply: string, reason: BounceReason, type: 'hard' | 'soft', permanent: boolean];

/** Replies as servers send them (multi-line ones joined with \n), each with what it must mean. */
const REPLIES: Expected[] = [
  // The examples the classifier must hold to.
  ['550 5.1.1 user unknown', 'userunknown', 'hard', true],
  ['550 5.7.1 Message rejected: blocked by reputation', 'blocked', 'soft', true],
  ['452 4.2.2 mailbox full', 'mailboxfull', 'soft', false],
  ['450 4.1.1 <x@y>: Recipient address rejected: User unknown in local recipient table', 'userunknown', 'hard', true],
  ['550 5.7.1 Greylisted, please try again later', 'blocked', 'soft', false],
  ['421 4.7.0 Too many connections', 'toomanyconn', 'soft', false],
  ['550 5.4.5 Daily user sending quota exceeded', 'ratelimited', 'soft', false],

  // Gmail and Google Workspace
  [
    "550-5.1.1 The email account that you tried to reach does not exist. Please try\n550-5.1.1 double-checking the recipient's email address for typos or\n550-5.1.1 unnecessary spaces. Learn more at\n550 5.1.1  https://support.google.com/mail/?p=NoSuchUser d2e1a72fcca58-7425f1b2c3dsi1234567b.88 - gsmtp",
    'userunknown',
    'hard',
    true,
  ],
  ['550-5.2.1 The email account that you tried to reach is disabled. Learn more at\n550 5.2.1  https://support.google.com/mail/?p=DisabledUser 5b1f17b1804b1-4451a2b3c4dsi123.45 - gsmtp', 'suspend', 'hard', true],
  ['452-4.2.2 The email account that you tried to reach is over quota. Please direct\n452-4.2.2 the recipient to\n452 4.2.2  https://support.google.com/mail/?p=OverQuotaTemp 98e67ed59e1d1-31e2f3a4b5csi1.45 - gsmtp', 'mailboxfull', 'soft', false],
  ['552-5.2.2 The email account that you tried to reach is over quota and inactive. Please direct\n552 5.2.2 the recipient to https://support.google.com/mail/?p=OverQuotaPerm - gsmtp', 'mailboxfull', 'soft', true],
  [
    '550-5.7.1 [198.51.100.7] Our system has detected that this message is\n550-5.7.1 likely unsolicited mail. To reduce the amount of spam sent to Gmail,\n550-5.7.1 this message has been blocked. For more information, go to\n550 5.7.1  https://support.google.com/mail/?p=UnsolicitedMessageError - gsmtp',
    'spamdetected',
    'soft',
    true,
  ],
  [
    '421-4.7.0 [198.51.100.7] Our system has detected an unusual rate of\n421-4.7.0 unsolicited mail originating from your IP address. To protect our\n421-4.7.0 users from spam, mail sent from your IP address has been temporarily\n421 4.7.0 rate limited. - gsmtp',
    'ratelimited',
    'soft',
    false,
  ],
  ['550-5.7.26 This mail has been blocked because the sender is\n550-5.7.26 unauthenticated. Gmail requires all senders to authenticate with\n550 5.7.26 either SPF or DKIM. - gsmtp', 'authfailure', 'soft', true],
  ["550-5.7.26 Unauthenticated email from acme.test is not accepted due to\n550-5.7.26 domain's DMARC policy. Please contact the administrator of acme.test\n550 5.7.26 domain if this was a legitimate mail. - gsmtp", 'authfailure', 'soft', true],
  ['550-5.7.25 [198.51.100.7] The IP address sending this message does not have a\n550-5.7.25 PTR record setup, or the corresponding forward DNS entry does not\n550 5.7.25 point to the sending IP. - gsmtp', 'requireptr', 'soft', true],
  ["552-5.2.3 Your message exceeded Google's message size limits. Please visit\n552 5.2.3  https://support.google.com/mail/?p=MaxSizeError - gsmtp", 'mesgtoobig', 'soft', true],
  ['450-4.2.1 The user you are trying to contact is receiving mail at a rate that\n450-4.2.1 prevents additional messages from being delivered. Please resend your\n450 4.2.1 message at a later time. - gsmtp', 'ratelimited', 'soft', false],
  ['552-5.7.0 This message was blocked because its content presents a potential\n552-5.7.0 security issue. Please visit\n552 5.7.0  https://support.google.com/mail/?p=BlockedMessage - gsmtp', 'securityerror', 'soft', true],
  ['421-4.7.28 [198.51.100.7 15] Our system has detected an unusual rate of\n421 4.7.28 unsolicited mail originating from your IP address. - gsmtp', 'ratelimited', 'soft', false],
  ['550 5.7.1 The user or domain that you are sending to (or from) has a policy that prohibited the mail that you sent.', 'policyviolation', 'soft', true],

  // Exchange, Office 365, Outlook.com
  ['550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient jdoe@example.org not found by SMTP address lookup', 'userunknown', 'hard', true],
  ['#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##', 'userunknown', 'hard', true],
  ['550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]', 'userunknown', 'hard', true],
  ['550 5.5.0 Requested action not taken: mailbox unavailable (S2017062302). [AM0PR10MB3155.EURPRD10.PROD.OUTLOOK.COM]', 'userunknown', 'hard', true],
  [
    "550 5.7.1 Unfortunately, messages from [198.51.100.7] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150). You can also refer your provider to http://mail.live.com/mail/troubleshooting.aspx#errors.",
    'blocked',
    'soft',
    true,
  ],
  [
    "421 RP-001 (BAY004-MC1F18) Unfortunately, some messages from 198.51.100.7 weren't sent. Please try again. We have limits for how many messages can be sent per hour and per day.",
    'ratelimited',
    'soft',
    false,
  ],
  ['451 4.7.650 The mail server [198.51.100.7] has been temporarily rate limited due to IP reputation. For e-mail delivery information, see https://postmaster.live.com (S775)', 'ratelimited', 'soft', false],
  ['550 5.7.511 Access denied, banned sender[198.51.100.7]. To request removal from this list please forward this message to delist@messaging.microsoft.com.', 'blocked', 'soft', true],
  ['550 5.7.509 Access denied, sending domain acme.test does not pass DMARC verification and has a DMARC policy of reject.', 'authfailure', 'soft', true],
  ['554 5.2.2 mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException.MapiExceptionShutoffQuotaExceeded; Failed to process message due to a permanent exception', 'mailboxfull', 'soft', true],
  ['550 5.7.133 RESOLVER.RST.SenderNotAuthenticatedForGroup; authentication required; Delivery restriction check failed because the sender was not authenticated', 'filtered', 'soft', true],
  ['550 5.4.310 DNS domain example.org does not exist [Message=InfoDomainNonexistent] [LastAttemptedServerName=example.org]', 'hostunknown', 'hard', true],
  ['451 4.7.500 Server busy. Please try again later from [198.51.100.7]. (S77714)', 'ratelimited', 'soft', false],
  ["Remote Server returned '< #5.0.0 smtp; 550 5.1.1 <jdoe@example.org>... User unknown>'", 'userunknown', 'hard', true],
  ['550 5.6.11 SMTPSEND.BareLinefeedsAreIllegal; message contains bare linefeeds, which cannot be sent via DATA', 'notcompliantrfc', 'soft', true],

  // Yahoo and AOL
  ["554 delivery error: dd This user doesn't have a yahoo.com account (jdoe@yahoo.com) [0] - mta1019.mail.ne1.yahoo.com", 'userunknown', 'hard', true],
  ['554 delivery error: dd Sorry your message to jdoe@aol.com cannot be delivered. This mailbox is disabled (554.30). - mta4012.aol.mail.bf1.yahoo.com', 'suspend', 'hard', true],
  ['421 4.7.0 [TSS04] Messages from 198.51.100.7 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes', 'blocked', 'soft', false],
  ['421 4.7.0 [TS03] All messages from 198.51.100.7 will be permanently deferred; Retrying will NOT succeed. See https://postmaster.yahooinc.com/error-codes', 'blocked', 'soft', true],
  ["553 5.7.1 [BL21] Connections will not be accepted from 198.51.100.7, because the ip is in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes", 'blocked', 'soft', true],
  ['554 5.7.9 Message not accepted for policy reasons.  See https://postmaster.yahooinc.com/error-codes', 'policyviolation', 'soft', true],
  ['550 5.7.9 This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM.', 'authfailure', 'soft', true],

  // iCloud, Zoho, Yandex, Mail.ru, 1&1 (GMX, Web.de), Comcast
  ['550 5.1.1 <jdoe@icloud.com>: user does not exist', 'userunknown', 'hard', true],
  ['554 5.7.1 [CS01] Message rejected due to local policy. Please visit https://support.apple.com/en-us/HT204137', 'policyviolation', 'soft', true],
  ['550 5.1.1 User does not exist - <jdoe@zoho.com>', 'userunknown', 'hard', true],
  ['550 5.4.6 Unusual sending activity detected. Please try after sometime.', 'ratelimited', 'soft', false],
  ['553 Relaying disallowed. Invalid Domain - dest.test', 'norelaying', 'soft', true],
  ['550 5.7.1 No such user!', 'userunknown', 'hard', true],
  ['554 5.7.1 [2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc 1748859319-AbCdEfGh12', 'spamdetected', 'soft', true],
  ['550 5.7.1 Policy rejection on the target address', 'filtered', 'soft', true],
  ['550 Message was not accepted -- invalid mailbox.  Local mailbox jdoe@mail.ru is unavailable: user not found', 'userunknown', 'hard', true],
  ['550 Message was not accepted -- invalid mailbox.  Local mailbox jdoe@mail.ru is unavailable: account is disabled', 'suspend', 'hard', true],
  ['550 spam message rejected. Please visit http://help.mail.ru/notspam-support/id?c=AbCdEf or report details to abuse@corp.mail.ru.', 'spamdetected', 'soft', true],
  ['554-Transaction failed\n554-Reject due to policy restrictions.\n554 For explanation visit https://web.de/email/senderguidelines?ip=198.51.100.7&c=hi', 'blocked', 'soft', true],
  ['554-gmx.net (mxgmx017) Nemesis ESMTP Service not available\n554-No SMTP service\n554-Bad DNS PTR resource record.\n554 For explanation visit https://postmaster.gmx.net/en/case?c=r0601', 'requireptr', 'soft', true],
  ['552 Requested mail action aborted: exceeded mailsize limit', 'mesgtoobig', 'soft', true],
  ['554 resimta-po-27v.sys.comcast.net comcast 198.51.100.7 found on one or more DNSBLs, see http://postmaster.comcast.net/smtp-error-codes.php#BL000001', 'blocked', 'soft', true],
  ['421 4.1.0 [198.51.100.7] Throttled - try again later. Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001', 'ratelimited', 'soft', false],
  ['550 5.1.1 <jdoe@comcast.net> is not a valid mailbox', 'userunknown', 'hard', true],

  // Filtering gateways and blocklists
  ['554 5.7.1 Blocked - see https://ipcheck.proofpoint.com/?ip=198.51.100.7', 'blocked', 'soft', true],
  ['550 Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 [AbCdEfGhIjKlMnOp.uk123]', 'userunknown', 'hard', true],
  ['550 Rejected by header based Anti-Spoofing policy: billing@acme.test - https://community.mimecast.com/docs/DOC-1369#550', 'policyviolation', 'soft', true],
  ['451 Internal resources are temporarily unavailable - https://community.mimecast.com/docs/DOC-1369#451', 'systemerror', 'soft', false],
  ['554 Service unavailable; Client host [198.51.100.7] blocked using Barracuda Reputation; http://www.barracudanetworks.com/reputation/?r=1&ip=198.51.100.7', 'blocked', 'soft', true],
  ['554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org; https://www.spamhaus.org/query/ip/198.51.100.7', 'blocked', 'soft', true],
  ['550 5.7.1 Mail from 198.51.100.7 refused - see http://www.spamcop.net/bl.shtml?198.51.100.7', 'blocked', 'soft', true],
  ["554 5.7.1 Your access to this mail system has been rejected due to the sending MTA's poor reputation.", 'blocked', 'soft', true],

  // Postfix
  ['554 5.7.1 <jdoe@dest.test>: Relay access denied', 'norelaying', 'soft', true],
  ['450 4.7.1 Client host rejected: cannot find your reverse hostname, [198.51.100.7]', 'requireptr', 'soft', false],
  ['450 4.1.2 <jdoe@nx.dest.test>: Recipient address rejected: Domain not found', 'networkerror', 'soft', false],
  ['550 5.1.2 <jdoe@nx.dest.test>: Recipient address rejected: Domain not found', 'hostunknown', 'hard', true],
  ['553 5.1.8 <billing@acme.test>: Sender address rejected: Domain not found', 'rejected', 'soft', true],
  ['552 5.3.4 Message size exceeds fixed limit', 'mesgtoobig', 'soft', true],
  ['450 4.2.0 <jdoe@example.org>: Recipient address rejected: Greylisted, see http://postgrey.schweikert.ch/help/example.org.html', 'blocked', 'soft', false],
  ['550 5.7.1 <jdoe@example.org>: Recipient address rejected: Access denied', 'filtered', 'soft', true],
  ['504 5.5.2 <mta1>: Helo command rejected: need fully-qualified hostname', 'blocked', 'soft', true],
  ['X-Postfix; Host or domain name not found. Name service error for name=nx.dest.test type=MX: Host not found, try again', 'networkerror', 'soft', false],
  ['X-Postfix; connect to mx.dest.test[192.0.2.25]:25: Connection timed out', 'networkerror', 'soft', false],
  ['lmtp; 552 5.2.2 Over quota', 'mailboxfull', 'soft', true],

  // Exim, cPanel, Sendmail, qmail, Dovecot and other MTAs
  ['550 No Such User Here', 'userunknown', 'hard', true],
  ['550 Unrouteable address', 'hostunknown', 'hard', true],
  ['550 Sender verify failed', 'rejected', 'soft', true],
  ['550 relay not permitted', 'norelaying', 'soft', true],
  ['552 Message size exceeds maximum permitted', 'mesgtoobig', 'soft', true],
  ['550 Administrative prohibition', 'policyviolation', 'soft', true],
  ['retry timeout exceeded', 'expired', 'soft', true],
  ['550 5.1.1 <jdoe@example.org>... User unknown', 'userunknown', 'hard', true],
  ['550 5.7.1 <jdoe@dest.test>... Relaying denied. Proper authentication required.', 'norelaying', 'soft', true],
  ['554 5.4.6 Too many hops 26 (25 max): from <billing@acme.test> via mx.example.org, to <jdoe@example.org>', 'networkerror', 'soft', true],
  ['Sorry, no mailbox here by that name. (#5.1.1)', 'userunknown', 'hard', true],
  ["Sorry, I couldn't find any host named nx.dest.test. (#5.1.2)", 'hostunknown', 'hard', true],
  ["I'm not going to try again; this message has been in the queue too long.", 'expired', 'soft', true],
  ['User jdoe (jdoe@example.org) not listed in Domino Directory', 'userunknown', 'hard', true],
  ['552 5.2.2 <jdoe@example.org> Quota exceeded (mailbox for user is full)', 'mailboxfull', 'soft', true],
  ['550 5.7.1 Message rejected: virus found (Eicar-Test-Signature)', 'virusdetected', 'soft', true],
  ['554 5.7.1 Message rejected because it contains prohibited attachment type .exe', 'policyviolation', 'soft', true],
  ['550 5.7.23 The message was rejected because of Sender Policy Framework violation', 'authfailure', 'soft', true],
  ['530 5.7.0 Must issue a STARTTLS command first', 'securityerror', 'soft', true],
  ['554 5.6.0 Message contains invalid MIME headers', 'contenterror', 'soft', true],
  ['452 4.5.3 Too many recipients', 'exceedlimit', 'soft', false],
  ['521 5.3.2 mx.example.org does not accept mail', 'notaccept', 'hard', true],
  ['556 5.1.10 Recipient address has null MX', 'notaccept', 'hard', true],
  ['500 5.5.1 Command unrecognized: "XYZZY"', 'syntaxerror', 'soft', true],
  ['451 4.3.0 Error: queue file write error', 'systemerror', 'soft', false],
  ['421 4.3.2 Service not available, closing transmission channel', 'systemerror', 'soft', false],
];

describe('classifyBounce on real-world replies', () => {
  it(`has at least 60 of them (${REPLIES.length})`, () => {
    assert.ok(REPLIES.length >= 60);
  });

  for (const [reply, reason, type, permanent] of REPLIES) {
    it(`${reply.split('\n')[0]!.slice(0, 110)}: ${reason}, ${type}, ${permanent ? 'bounce' : 'retry'}`, () => {
      const classification = classifyBounce(parseReplyLine(reply));
      assert.deepEqual({ reason: classification.reason, type: classification.type, permanent: classification.permanent }, { reason, type, permanent }, classification.rule);
    });
  }
});

describe('classifyBounce without a matching rule', () => {
  it('lets the reply class decide: 5xx bounces, 4xx retries, nothing known retries', () => {
    assert.deepEqual(classifyBounce({ code: 554, text: 'Transaction failed' }), { reason: 'undefined', type: 'soft', permanent: true, rule: 'reply class' });
    assert.deepEqual(classifyBounce({ code: 450, text: 'Requested action not taken' }), { reason: 'undefined', type: 'soft', permanent: false, rule: 'reply class' });
    assert.deepEqual(classifyBounce({ text: '' }), { reason: 'undefined', type: 'soft', permanent: false, rule: 'reply class' });
  });

  it('takes the class from the status when there is no code', () => {
    assert.equal(classifyBounce({ status: '5.9.9', text: 'odd' }).permanent, true);
    assert.equal(classifyBounce({ status: '4.9.9', text: 'odd' }).permanent, false);
  });

  it('reads only the start of an oversized text, quickly', () => {
    const started = performance.now();
    const classification = classifyBounce({ code: 550, text: `${'x '.repeat(500_000)}user unknown` });
    assert.equal(classification.rule, 'reply class');
    assert.ok(performance.now() - started < 1000);
  });
});

describe('parseReplyLine', () => {
  it('splits code, status and text', () => {
    assert.deepEqual(parseReplyLine('550 5.1.1 user unknown'), { code: 550, status: '5.1.1', text: 'user unknown' });
    assert.deepEqual(parseReplyLine('421 closing'), { code: 421, text: 'closing' });
  });

  it('strips the Diagnostic-Code type and the prefixes a multi-line or folded reply repeats', () => {
    assert.deepEqual(parseReplyLine('smtp; 550-5.1.1 first line\n550 5.1.1 second line'), { code: 550, status: '5.1.1', text: 'first line second line' });
    assert.deepEqual(parseReplyLine('smtp; 452-4.2.2 over quota. Please direct 452-4.2.2 the recipient to 452 4.2.2  https://x'), { code: 452, status: '4.2.2', text: 'over quota. Please direct the recipient to https://x' });
    assert.deepEqual(parseReplyLine('lmtp;552 5.2.2 Over quota'), { code: 552, status: '5.2.2', text: 'Over quota' });
    assert.deepEqual(parseReplyLine('X-Postfix; connect to mx[192.0.2.1]:25: Connection timed out'), { text: 'connect to mx[192.0.2.1]:25: Connection timed out' });
  });

  it('finds a reply quoted inside a longer text, never inside an IP address', () => {
    assert.deepEqual(parseReplyLine('host mx.dest.test[192.0.2.1] said: 550 5.1.1 <a@dest.test>: no such user'), {
      code: 550,
      status: '5.1.1',
      text: 'host mx.dest.test[192.0.2.1] said: 550 5.1.1 <a@dest.test>: no such user',
    });
    assert.deepEqual(parseReplyLine('Remote host said: 553 sorry, no relay (#5.7.1)'), { code: 553, status: '5.7.1', text: 'Remote host said: 553 sorry, no relay (#5.7.1)' });
    assert.deepEqual(parseReplyLine('connect to 10.5.1.1 failed'), { text: 'connect to 10.5.1.1 failed' });
    assert.deepEqual(parseReplyLine('#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##'), { code: 550, status: '5.1.1', text: 'RESOLVER.ADR.RecipNotFound; not found ##' });
  });

  it('reads an empty line as nothing known', () => {
    assert.deepEqual(parseReplyLine(''), { text: '' });
  });
});

describe('the bounce rules table', () => {
  it('gives every rule at least one matcher and a reason from the vocabulary', () => {
    for (const rule of BOUNCE_RULES) {
      assert.ok(rule.code || rule.status || rule.text, rule.comment);
      assert.ok((BOUNCE_REASONS as readonly string[]).includes(rule.reason), rule.comment);
      assert.ok(rule.comment.length > 0);
    }
    for (const reason of HARD_REASONS) assert.ok((BOUNCE_REASONS as readonly string[]).includes(reason));
  });

  it('uses stateless regexes (no g or y flag, whose test() remembers the last match) and case-insensitive texts', () => {
    for (const rule of BOUNCE_RULES) {
      for (const matcher of [rule.code, rule.status, rule.text]) if (matcher) assert.doesNotMatch(matcher.flags, /[gy]/, rule.comment);
      if (rule.text) assert.match(rule.text.flags, /i/, rule.comment);
    }
  });

  it('puts provider texts first, then the other texts, then status codes, then reply codes', () => {
    const family = (rule: (typeof BOUNCE_RULES)[number]): number => (PROVIDER_RULES.includes(rule) ? 0 : MTA_PHRASE_RULES.includes(rule) ? 1 : rule.status ? 2 : 3);
    const families = BOUNCE_RULES.map(family);
    assert.deepEqual(families, [...families].sort((a, b) => a - b));
    assert.ok(BOUNCE_RULES.slice(0, PROVIDER_RULES.length + MTA_PHRASE_RULES.length).every((rule) => rule.text));
    assert.ok(BOUNCE_RULES.filter((rule) => family(rule) === 3).every((rule) => rule.code && !rule.status && !rule.text));
  });

  it('lets a provider text decide over its generic status code', () => {
    assert.equal(classifyBounce({ code: 550, status: '5.7.1', text: '' }).reason, 'blocked');
    assert.equal(classifyBounce({ code: 550, status: '5.7.1', text: 'Our system has detected that this message is likely unsolicited mail.' }).reason, 'spamdetected');
    assert.equal(classifyBounce({ code: 550, status: '5.4.5', text: '' }).reason, 'systemerror');
    assert.equal(classifyBounce({ code: 550, status: '5.4.5', text: 'Daily user sending quota exceeded.' }).reason, 'ratelimited');
  });

  it('has a row for every RFC 3463 subject (x.1 address to x.7 security)', () => {
    for (let subject = 1; subject <= 7; subject++) assert.notEqual(classifyBounce({ status: `5.${subject}.0`, text: '' }).rule, 'reply class', `x.${subject}.0`);
  });
});
