/**
 * Every Outpost setting, once: where it sits in the config object, its
 * OUTPOST_* variable, its default, its parser and one line of doc. The config
 * type (config/index.ts), the loader and the README's table of variables
 * (`npm run docs:settings`) all follow from this table; durations take ms, s, m,
 * h or d. Rules that tie two settings together live in loadConfig.
 */
import os from 'node:os';
import { outpostError } from '../core/errors.js';
import { parse, setting } from './setting.js';

const MiB = 1024 * 1024;

/** Destination MX hosts listen on a real port: 'off' or 0 would leave mail nowhere to go. */
function destinationPort(text: string, variable: string): number {
  const port = parse.port(text, variable);
  if (port === 'off' || port === 0) throw outpostError('config_invalid', `${variable} must be a real port (25 on the Internet)`);
  return port;
}

/** Processes that receive mail: empty = one per core (os.availableParallelism()), else 1 to 64. */
function workerCount(text: string, variable: string): number {
  if (text === '') return Math.max(1, Math.min(os.availableParallelism(), 64));
  const count = Number(text);
  if (!/^\d+$/.test(text) || count < 1 || count > 64) {
    throw outpostError('config_invalid', `${variable}: "${text}" is not a number of workers; use 1 (one process) to 64, or leave it empty for one per core`);
  }
  return count;
}

/** A share: `10%` or `0.1`, from 0 to 1. */
function rate(text: string, variable: string): number {
  const percent = /^(\d+(?:\.\d+)?)%$/.exec(text);
  const value = percent ? Number(percent[1]) / 100 : Number(text);
  if (!/^\d+(?:\.\d+)?%?$/.test(text) || !(value >= 0 && value <= 1)) {
    throw outpostError('config_invalid', `${variable}: "${text}" is not a share; write a percentage (10%) or a fraction (0.1), from 0 to 1`);
  }
  return value;
}

/** Deliveries kept per webhook: 1 to 1000, the most GET /v1/webhooks/:id/deliveries returns. */
function webhookLogSize(text: string, variable: string): number {
  const size = parse.count(1)(text, variable);
  if (size > 1000) throw outpostError('config_invalid', `${variable}: ${size} is more than 1000, the most one page of the delivery log shows; use 1 to 1000`);
  return size;
}

export const SETTINGS = {
  dataDir: setting({ env: 'OUTPOST_DATA_DIR', default: './data', parse: parse.path,
    doc: 'LevelDB spool and store, generated keys and certificates' }),
  hostname: setting({ env: 'OUTPOST_HOSTNAME', default: '', parse: parse.text,
    doc: "SMTP banner/EHLO name and Message-ID domain; empty = the machine's name" }),
  httpHost: setting({ env: 'OUTPOST_HTTP_HOST', default: '0.0.0.0', parse: parse.text,
    doc: 'address the HTTP listener (REST API, health, metrics) binds' }),
  httpPort: setting({ env: 'OUTPOST_HTTP_PORT', default: '8080', parse: parse.port,
    doc: 'port of the HTTP listener (`off` disables it)' }),
  publicUrl: setting({ env: 'OUTPOST_PUBLIC_URL', default: '', parse: parse.text,
    doc: 'base URL of links back to Outpost (OpenAPI `servers`, later tracking links); empty = `http://HOSTNAME:HTTP_PORT`' }),
  adminKey: setting({ env: 'OUTPOST_ADMIN_KEY', default: '', parse: parse.optionalText,
    doc: 'key for the admin endpoints (`/v1/accounts`); empty = generated into `data/admin.key` at first start, printed once' }),
  secretKey: setting({ env: 'OUTPOST_SECRET_KEY', default: '', parse: parse.optionalText,
    doc: '64 hex chars encrypting DKIM private keys at rest; empty = generated into `data/secret.key`' }),
  sendingIps: setting({ env: 'OUTPOST_SENDING_IPS', default: '', parse: parse.ipList,
    doc: 'IPs mail leaves from, authorised in the SPF records Outpost asks for; empty = the A/AAAA records of `OUTPOST_HOSTNAME`' }),
  dnsServers: setting({ env: 'OUTPOST_DNS_SERVERS', default: '', parse: parse.dnsServers,
    doc: "`ip` or `ip:port`, comma-separated, used for every DNS lookup; empty = the system's resolvers" }),
  // 0 is refused: the recheck runs on a setInterval, which would then fire without pause
  domainRecheckIntervalMs: setting({ env: 'OUTPOST_DOMAIN_RECHECK_INTERVAL', default: '6h', parse: parse.duration,
    doc: 'how often verified domains are checked again; one whose records vanished stops sending' }),
  domainClaimExpiryMs: setting({ env: 'OUTPOST_DOMAIN_CLAIM_EXPIRY', default: '7d', parse: parse.duration,
    doc: 'a domain added but not verified within this time is removed (claims nobody verified never block another account)' }),
  logLevel: setting({ env: 'OUTPOST_LOG_LEVEL', default: 'info', parse: parse.text,
    doc: 'pino log level (trace, debug, info, warn, error, fatal, silent)' }),
  plugins: setting({ env: 'OUTPOST_PLUGINS', default: '', parse: parse.list,
    doc: 'third-party plugins (package names or paths), comma-separated, loaded after the built-ins' }),
  disabledPlugins: setting({ env: 'OUTPOST_DISABLED_PLUGINS', default: '', parse: parse.list,
    doc: 'built-in plugins left out, comma-separated (e.g. `dkim-sign` when a relay downstream signs; without `sender-domain` accounts send from unverified domains)' }),
  workers: setting({ env: 'OUTPOST_WORKERS', default: '', parse: workerCount,
    doc: 'processes that take HTTP and SMTP and run the pipeline, beside the one that owns the spool and delivers; empty = one per core; 1 = everything in one process' }),
  hookTimeoutMs: setting({ env: 'OUTPOST_HOOK_TIMEOUT', default: '10s', parse: parse.duration,
    doc: 'bound of each plugin hook call; past it the call counts as a temporary failure (4xx)' }),
  shutdownGraceMs: setting({ env: 'OUTPOST_SHUTDOWN_GRACE', default: '30s', parse: parse.duration,
    doc: 'on SIGTERM, how long SMTP transactions and deliveries in flight get before connections are cut' }),
  redisUrl: setting({ env: 'OUTPOST_REDIS_URL', default: '', parse: parse.optionalText,
    doc: 'cluster mode: accounts, domains, suppressions, status, idempotency keys, rate limits and AUTH failures in Redis; empty = embedded LevelDB only' }),
  redisNamespace: setting({ env: 'OUTPOST_REDIS_NAMESPACE', default: 'outpost', parse: parse.text,
    doc: 'prefix of every Redis key, so deployments can share one Redis' }),

  smtpHost: setting({ env: 'OUTPOST_SMTP_HOST', default: '0.0.0.0', parse: parse.text,
    doc: 'address the SMTP submission listeners bind' }),
  submissionPort: setting({ env: 'OUTPOST_SUBMISSION_PORT', default: '587', parse: parse.port,
    doc: 'SMTP submission with STARTTLS, AUTH required (`off` disables it)' }),
  submissionTlsPort: setting({ env: 'OUTPOST_SUBMISSION_TLS_PORT', default: '465', parse: parse.port,
    doc: 'SMTP submission over implicit TLS (`off` disables it)' }),
  tlsCertFile: setting({ env: 'OUTPOST_TLS_CERT', default: '', parse: parse.optionalPath,
    doc: 'PEM certificate for STARTTLS and 465, reloaded on SIGHUP; set with `OUTPOST_TLS_KEY`, or neither for a self-signed one in `data/tls`' }),
  tlsKeyFile: setting({ env: 'OUTPOST_TLS_KEY', default: '', parse: parse.optionalPath,
    doc: 'PEM private key of `OUTPOST_TLS_CERT`' }),

  /** Limits and timeouts of the SMTP submission listeners (587 and 465), against floods, slow clients and key guessing. */
  submission: {
    maxConnections: setting({ env: 'OUTPOST_SUBMISSION_MAX_CONNECTIONS', default: '200', parse: parse.count(1),
      doc: 'open submission connections on both ports together, counted from accept (before TLS); beyond, 421 4.7.0 on 587, closed at once on 465' }),
    maxConnectionsPerIp: setting({ env: 'OUTPOST_SUBMISSION_MAX_CONNECTIONS_PER_IP', default: '20', parse: parse.count(1),
      doc: 'open submission connections from one client address, counted from accept (before TLS); beyond, 421 4.7.0 on 587, closed at once on 465' }),
    // a flood of connections that never authenticate must leave room for the clients that do
    maxUnauthenticated: setting({ env: 'OUTPOST_SUBMISSION_MAX_UNAUTHENTICATED', default: '100', parse: parse.count(1),
      doc: 'of `OUTPOST_SUBMISSION_MAX_CONNECTIONS`, those not authenticated yet (TLS handshake, before AUTH); when full, a new one pushes out the oldest of the address holding the most, or is refused' }),
    handshakeTimeoutMs: setting({ env: 'OUTPOST_SUBMISSION_HANDSHAKE_TIMEOUT', default: '5s', parse: parse.duration,
      doc: 'from accept to the SMTP greeting, i.e. the TLS handshake of 465; a connection not that far by then is closed' }),
    authTimeoutMs: setting({ env: 'OUTPOST_SUBMISSION_AUTH_TIMEOUT', default: '30s', parse: parse.duration,
      doc: 'from the greeting to a successful AUTH (STARTTLS included on 587); then 421 4.4.2' }),
    idleTimeoutMs: setting({ env: 'OUTPOST_SUBMISSION_IDLE_TIMEOUT', default: '60s', parse: parse.duration,
      doc: 'silence from a client the server is waiting for; then 421 4.4.2' }),
    // a client trickling a byte at a time keeps the idle timer alive, but not this one
    commandTimeoutMs: setting({ env: 'OUTPOST_SUBMISSION_COMMAND_TIMEOUT', default: '5m', parse: parse.duration,
      doc: 'longest wait for the next complete command line (RFC 5321 4.5.3.2.7: 5 minutes)' }),
    transactionTimeoutMs: setting({ env: 'OUTPOST_SUBMISSION_TRANSACTION_TIMEOUT', default: '10m', parse: parse.duration,
      doc: 'from MAIL FROM to the last byte of DATA (30 MiB at 100 KB/s takes 5 minutes)' }),
    maxRecipients: setting({ env: 'OUTPOST_SUBMISSION_MAX_RECIPIENTS', default: '1000', parse: parse.count(1),
      doc: 'RCPT TO per message; beyond, 452 4.5.3' }),
    // RFC 5321 4.5.3.1.6 makes servers take lines of 998 octets; a lower limit would refuse valid mail
    maxLineBytes: setting({ env: 'OUTPOST_SUBMISSION_MAX_LINE_BYTES', default: '998', parse: parse.count(998),
      doc: 'longest line of a message without its CRLF (RFC 5322 2.1.1: 998)' }),
    maxHeaderBytes: setting({ env: 'OUTPOST_SUBMISSION_MAX_HEADER_BYTES', default: String(100 * 1024), parse: parse.count(1024),
      doc: 'largest header block of the message or of any MIME part (Postfix: header_size_limit)' }),
    maxUnauthenticatedCommands: setting({ env: 'OUTPOST_SUBMISSION_MAX_UNAUTHENTICATED_COMMANDS', default: '20', parse: parse.count(5),
      doc: 'commands a client may send before AUTH succeeds; then 421 4.7.0' }),
    /** Failed-AUTH throttling, per client address and per account (core/accounts/auth-throttle.ts). */
    authThrottle: {
      freeFailures: setting({ env: 'OUTPOST_AUTH_FREE_FAILURES', default: '3', parse: parse.count(0),
        doc: 'failed AUTHs (per client address, and per account) answered without delay' }),
      // the delays may be 0: no delay at all
      delayMs: setting({ env: 'OUTPOST_AUTH_DELAY', default: '1s', parse: parse.durationOrZero,
        doc: 'delay before answering the first failure past the free ones; it doubles with each further one' }),
      maxDelayMs: setting({ env: 'OUTPOST_AUTH_MAX_DELAY', default: '16s', parse: parse.durationOrZero,
        doc: 'the AUTH failure delay stops doubling here' }),
      lockoutFailures: setting({ env: 'OUTPOST_AUTH_LOCKOUT_FAILURES', default: '10', parse: parse.count(1),
        doc: 'failures that lock the address or account out: AUTH answers 454 4.7.0 without checking the key' }),
      lockoutMs: setting({ env: 'OUTPOST_AUTH_LOCKOUT', default: '15m', parse: parse.duration,
        doc: 'how long an AUTH lockout lasts' }),
      windowMs: setting({ env: 'OUTPOST_AUTH_FAILURE_WINDOW', default: '15m', parse: parse.duration,
        doc: "a key's failures count within a window this long from its first failure; then counting starts afresh" }),
    },
  },

  /** Limits and guards of POST /v1/mail/send, each checked before anything is queued and answered with its own error code. */
  api: {
    maxRecipients: setting({ env: 'OUTPOST_API_MAX_RECIPIENTS', default: '1000', parse: parse.count(1),
      doc: 'to + cc + bcc of one send, duplicates removed; beyond answers 413 too_many_recipients' }),
    maxAttachments: setting({ env: 'OUTPOST_API_MAX_ATTACHMENTS', default: '50', parse: parse.count(0),
      doc: 'attachments in one send; beyond answers 413 too_many_attachments' }),
    // base64 makes attachments 4/3 larger in the message, so 20 MiB stays under spool.maxMessageBytes (30 MiB) with room for the text
    maxAttachmentBytes: setting({ env: 'OUTPOST_API_MAX_ATTACHMENT_BYTES', default: String(20 * MiB), parse: parse.count(0),
      doc: "decoded size of all of one send's attachments together; beyond answers 413 attachment_too_large" }),
    // JSON carries attachments as base64 and is parsed in memory; multipart streams them to disk and is the form for large files
    maxJsonBytes: setting({ env: 'OUTPOST_API_MAX_JSON_BYTES', default: String(30 * MiB), parse: parse.count(1024),
      doc: 'largest JSON body (and the text fields of a multipart body together)' }),
    rateLimit: {
      requests: setting({ env: 'OUTPOST_API_RATE_LIMIT', default: '600', parse: parse.count(0),
        doc: 'sends one account may make per window, REST requests and SMTP transactions counted together; beyond, REST answers 429 rate_limited with Retry-After and SMTP 451 4.7.1; 0 = no limit' }),
      // Retry-After is in whole seconds, so a shorter window could not be told to a client
      windowMs: setting({ env: 'OUTPOST_API_RATE_WINDOW', default: '1m', parse: parse.durationAtLeast('1s'),
        doc: 'the window of `OUTPOST_API_RATE_LIMIT` (fixed windows on the clock)' }),
    },
  },

  spool: {
    bodyChunkBytes: setting({ env: 'OUTPOST_SPOOL_CHUNK_BYTES', default: String(64 * 1024), parse: parse.count(1024),
      doc: 'size of the chunks a message body is stored in, one LevelDB value each' }),
    maxMessageBytes: setting({ env: 'OUTPOST_MAX_MESSAGE_BYTES', default: String(30 * MiB), parse: parse.count(1024),
      doc: 'largest message accepted, in bytes' }),
    // 100,000 queued recipients measured at about 400 MB RSS, so the default stays near 1 GB of RAM
    maxQueuedRecipients: setting({ env: 'OUTPOST_MAX_QUEUED_RECIPIENTS', default: '250000', parse: parse.count(1),
      doc: "while this node's queue holds this many recipients (2-4 KB of RAM each), REST sends answer 503 queue_full and SMTP MAIL FROM 452 4.3.1" }),
  },

  delivery: {
    port: setting({ env: 'OUTPOST_DELIVERY_PORT', default: '25', parse: destinationPort,
      doc: 'TCP port of destination MX hosts (25 on the Internet)' }),
    retryScheduleMs: setting({ env: 'OUTPOST_RETRY_SCHEDULE', default: '5m,10m,30m,1h,2h,4h', parse: parse.retrySchedule,
      doc: 'delays between delivery attempts; the last one repeats, `1h*3` repeats a step' }),
    // 0 is allowed: a recipient then bounces at its first temporary failure
    maxQueueTimeMs: setting({ env: 'OUTPOST_MAX_QUEUE_TIME', default: '5d', parse: parse.durationOrZero,
      doc: 'a recipient still deferred after this bounces' }),
    allowPrivateTargets: setting({ env: 'OUTPOST_ALLOW_PRIVATE_TARGETS', default: 'false', parse: parse.boolean,
      doc: 'allow MX hosts and webhook URLs on loopback, private or link-local addresses' }),
    maxConnections: setting({ env: 'OUTPOST_DELIVERY_MAX_CONNECTIONS', default: '100', parse: parse.count(1),
      doc: 'open delivery connections across all destinations, opening, busy, idle and closing ones alike (Postfix: default_process_limit)' }),
    maxConnectionsPerDomain: setting({ env: 'OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN', default: '20', parse: parse.count(1),
      doc: 'open delivery connections to one destination domain (Postfix: default_destination_concurrency_limit)' }),
    maxRecipientsPerTransaction: setting({ env: 'OUTPOST_DELIVERY_MAX_RECIPIENTS_PER_TRANSACTION', default: '100', parse: parse.count(1),
      doc: 'recipients per SMTP transaction (RFC 5321 4.5.3.1.8: servers take at least 100)' }),
    maxMessagesPerConnection: setting({ env: 'OUTPOST_DELIVERY_MAX_MESSAGES_PER_CONNECTION', default: '100', parse: parse.count(1),
      doc: 'transactions over one connection before a fresh one is opened' }),
    idleConnectionMs: setting({ env: 'OUTPOST_DELIVERY_IDLE_TIMEOUT', default: '5s', parse: parse.duration,
      doc: 'how long an idle delivery connection is kept for reuse' }),
    // a closing connection still counts against maxConnectionsPerDomain, so this bounds how long a
    // destination that never answers QUIT can hold one of its slots
    closeTimeoutMs: setting({ env: 'OUTPOST_DELIVERY_CLOSE_TIMEOUT', default: '10s', parse: parse.duration,
      doc: 'how long closing a connection (QUIT, its reply, the socket closing) may take before the socket is cut' }),
    connectTimeoutMs: setting({ env: 'OUTPOST_DELIVERY_CONNECT_TIMEOUT', default: '30s', parse: parse.duration,
      doc: 'TCP connect timeout per MX address' }),
    greetingTimeoutMs: setting({ env: 'OUTPOST_DELIVERY_GREETING_TIMEOUT', default: '5m', parse: parse.duration,
      doc: 'wait for the 220 greeting (RFC 5321 4.5.3.2.1: 5 minutes)' }),
    // RFC 5321 4.5.3.2 asks for 5 minutes for MAIL/RCPT and 10 for the reply to the final "."; one timer covers both
    replyTimeoutMs: setting({ env: 'OUTPOST_DELIVERY_REPLY_TIMEOUT', default: '10m', parse: parse.duration,
      doc: 'longest wait for any reply of a destination (socket inactivity)' }),
    requireTls: setting({ env: 'OUTPOST_DELIVERY_REQUIRE_TLS', default: 'false', parse: parse.boolean,
      doc: 'default for messages and domains that do not say: insist on STARTTLS' }),
    // most MX hosts present self-signed certificates
    verifyCert: setting({ env: 'OUTPOST_DELIVERY_VERIFY_CERT', default: 'false', parse: parse.boolean,
      doc: 'default for messages and domains that do not say: check the MX certificate' }),
    // node's resolver does not expose DNS TTLs, hence a fixed time
    mxCacheMs: setting({ env: 'OUTPOST_MX_CACHE_TIME', default: '1m', parse: parse.duration,
      doc: 'how long MX answers are cached' }),
  },

  webhooks: {
    retryScheduleMs: setting({ env: 'OUTPOST_WEBHOOK_RETRY_SCHEDULE', default: '10s,1m,5m,30m,2h', parse: parse.retrySchedule,
      doc: 'delays before each retry of a failed webhook request; after the last it is given up' }),
    // a receiver should answer at once and do its work afterwards
    timeoutMs: setting({ env: 'OUTPOST_WEBHOOK_TIMEOUT', default: '10s', parse: parse.duration,
      doc: 'how long a webhook receiver has to answer; past it the request failed and is retried' }),
    // bounded, so a busy webhook's log cannot grow the store without end; GET .../deliveries shows up to 1000
    logSize: setting({ env: 'OUTPOST_WEBHOOK_LOG_SIZE', default: '100', parse: webhookLogSize,
      doc: 'deliveries kept in each webhook\'s log (`GET /v1/webhooks/:id/deliveries`), newest first; pending ones stay until they end' }),
  },

  mx: {
    port: setting({ env: 'OUTPOST_MX_PORT', default: '25', parse: parse.port,
      doc: 'inbound MX listener for bounces (DSNs) and complaints (ARF) sent to the return paths, postmaster@ and abuse@ (`off` disables it)' }),
    maxMessageBytes: setting({ env: 'OUTPOST_MX_MAX_MESSAGE_BYTES', default: String(10 * MiB), parse: parse.count(1024),
      doc: 'largest report the MX listener takes (a DSN quoting a large original is cut by the sender, not here); beyond, 552 5.3.4' }),
    maxConnections: setting({ env: 'OUTPOST_MX_MAX_CONNECTIONS', default: '100', parse: parse.count(1),
      doc: 'open connections to the MX listener; beyond, 421 4.7.0 and closed' }),
    maxConnectionsPerIp: setting({ env: 'OUTPOST_MX_MAX_CONNECTIONS_PER_IP', default: '10', parse: parse.count(1),
      doc: 'open connections to the MX listener from one address; beyond, 421 4.7.0 and closed' }),
    maxRecipients: setting({ env: 'OUTPOST_MX_MAX_RECIPIENTS', default: '50', parse: parse.count(1),
      doc: 'RCPT TO per inbound message; beyond, 452 4.5.3' }),
    idleTimeoutMs: setting({ env: 'OUTPOST_MX_IDLE_TIMEOUT', default: '60s', parse: parse.duration,
      doc: 'silence from a sending server the MX listener is waiting for; then 421 4.4.2' }),
    retentionMs: setting({ env: 'OUTPOST_MX_RETENTION', default: '7d', parse: parse.duration,
      doc: 'how long each report received is kept in the spool (for inspection), after it changed what it reports' }),
  },
  // a report may come days after delivery, a complaint weeks after
  returnPathValidityMs: setting({ env: 'OUTPOST_RETURN_PATH_VALIDITY', default: '30d', parse: parse.duration,
    doc: 'how long after a message is accepted its return path (bounce+<token>@) still takes bounces and complaints; later ones are refused at RCPT' }),

  stats: {
    retentionMs: setting({ env: 'OUTPOST_STATS_RETENTION', default: '90d', parse: parse.durationAtLeast('1d'),
      doc: 'how long the hourly and daily counts of `GET /v1/stats` (and the console\'s charts) are kept' }),
  },

  console: {
    enabled: setting({ env: 'OUTPOST_CONSOLE', default: 'on', parse: parse.boolean,
      doc: 'the web console at `/ui` on the HTTP listener (`off`: /ui answers 404)' }),
  },

  health: {
    windowMs: setting({ env: 'OUTPOST_HEALTH_WINDOW', default: '24h', parse: parse.durationAtLeast('1h'),
      doc: 'rolling window of each account\'s bounce and complaint rates (counted hour by hour)' }),
    minSent: setting({ env: 'OUTPOST_HEALTH_MIN_SENT', default: '100', parse: parse.count(1),
      doc: 'recipients an account must have sent to in the window before its rates can pause it' }),
    pauseBounceRate: setting({ env: 'OUTPOST_PAUSE_BOUNCE_RATE', default: '10%', parse: rate,
      doc: 'hard bounces per recipient sent to in the window that pause the account\'s sending (`0` never pauses)' }),
    pauseComplaintRate: setting({ env: 'OUTPOST_PAUSE_COMPLAINT_RATE', default: '0.5%', parse: rate,
      doc: 'complaints per recipient delivered to in the window that pause the account\'s sending (`0` never pauses)' }),
  },
};
