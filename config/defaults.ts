/**
 * Documented defaults for every setting. Each key can be overridden by the
 * OUTPOST_* environment variable named in its comment (read in config/index.ts,
 * config/delivery.ts and config/submission.ts); durations take ms, s, m, h or d.
 */
export const DEFAULTS = {
  /** OUTPOST_DATA_DIR: LevelDB spool and store, generated keys and certificates. */
  dataDir: './data',
  /** OUTPOST_HOSTNAME: SMTP banner/EHLO name and Message-ID domain; empty = os.hostname(). */
  hostname: '',
  /** OUTPOST_HTTP_HOST / OUTPOST_HTTP_PORT: REST API, health and metrics ('off' disables). */
  httpHost: '0.0.0.0',
  httpPort: '8080',
  /** OUTPOST_PUBLIC_URL: base of tracking links; empty = http://HOSTNAME:HTTP_PORT. */
  publicUrl: '',
  /** OUTPOST_DNS_SERVERS: comma-separated ip or ip:port; empty = the system's resolvers. */
  dnsServers: '',
  /** OUTPOST_DELIVERY_PORT: TCP port of destination MX hosts (25 on the Internet). */
  deliveryPort: '25',
  /** OUTPOST_RETRY_SCHEDULE: delays between attempts; the last one repeats. */
  retrySchedule: '5m,10m,30m,1h,2h,4h',
  /** OUTPOST_WEBHOOK_RETRY_SCHEDULE: delays before each retry of a failed webhook request; then it is given up. */
  webhookRetrySchedule: '10s,1m,5m,30m,2h',
  /** OUTPOST_MAX_QUEUE_TIME: a recipient still deferred after this bounces. */
  maxQueueTime: '5d',
  /** OUTPOST_ALLOW_PRIVATE_TARGETS: allow MX hosts on loopback/private/link-local addresses. */
  allowPrivateTargets: 'false',
  /** OUTPOST_ADMIN_KEY: key for the admin endpoints; empty = generated into the data dir at first start, printed once. */
  adminKey: '',
  /** OUTPOST_SENDING_IPS: the IPs mail leaves from, authorised in customers' SPF; empty = the A/AAAA records of OUTPOST_HOSTNAME. */
  sendingIps: '',
  /** OUTPOST_SECRET_KEY: 64 hex chars encrypting DKIM private keys at rest; empty = generated into the data dir. */
  secretKey: '',
  /** OUTPOST_DOMAIN_RECHECK_INTERVAL: how often verified domains are checked again; one whose records vanished stops sending. */
  domainRecheckInterval: '6h',
  /** OUTPOST_REDIS_NAMESPACE: prefix of every Redis key, so deployments can share one Redis. */
  redisNamespace: 'outpost',
  /** OUTPOST_SMTP_HOST: address the SMTP listeners (submission on 587 and 465) bind. */
  smtpHost: '0.0.0.0',
  /** OUTPOST_SUBMISSION_PORT: SMTP submission with STARTTLS, AUTH required ('off' disables). */
  submissionPort: '587',
  /** OUTPOST_SUBMISSION_TLS_PORT: SMTP submission over implicit TLS ('off' disables). */
  submissionTlsPort: '465',
  /** OUTPOST_TLS_CERT / OUTPOST_TLS_KEY: PEM files for STARTTLS and 465 (give both); empty = a self-signed certificate generated into the data dir. */
  tlsCert: '',
  tlsKey: '',
  /** OUTPOST_REDIS_URL: shared state in Redis (cluster mode); empty = embedded LevelDB only. */
  redisUrl: '',
  /** OUTPOST_LOG_LEVEL: pino level (trace, debug, info, warn, error, fatal, silent). */
  logLevel: 'info',
  /** OUTPOST_PLUGINS: comma-separated third-party plugin packages or paths, loaded after the built-ins. */
  plugins: '',

  delivery: {
    /** OUTPOST_DELIVERY_MAX_CONNECTIONS: open SMTP connections across all destinations (Postfix: default_process_limit). */
    maxConnections: 100,
    /** OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN: open connections to one destination domain (Postfix: default_destination_concurrency_limit). */
    maxConnectionsPerDomain: 20,
    /** OUTPOST_DELIVERY_MAX_RECIPIENTS_PER_TRANSACTION: RFC 5321 4.5.3.1.8 says servers take at least 100. */
    maxRecipientsPerTransaction: 100,
    /** OUTPOST_DELIVERY_MAX_MESSAGES_PER_CONNECTION: transactions over one connection before a fresh one is opened. */
    maxMessagesPerConnection: 100,
    /** OUTPOST_DELIVERY_IDLE_TIMEOUT: how long an idle connection is kept for reuse. */
    idleConnectionMs: 5_000,
    /**
     * OUTPOST_DELIVERY_CLOSE_TIMEOUT: how long closing a connection (QUIT, its reply, the socket closing) may take before the
     * socket is cut. A closing connection still counts against maxConnectionsPerDomain, so this
     * bounds how long a destination that never answers QUIT can hold one of its slots.
     */
    closeTimeoutMs: 10_000,
    /** OUTPOST_DELIVERY_CONNECT_TIMEOUT: TCP connect timeout per address. */
    connectTimeoutMs: 30_000,
    /** OUTPOST_DELIVERY_GREETING_TIMEOUT: RFC 5321 4.5.3.2.1 waits up to 5 minutes for the 220 greeting. */
    greetingTimeoutMs: 300_000,
    /**
     * OUTPOST_DELIVERY_REPLY_TIMEOUT: longest wait for any reply (socket inactivity). RFC 5321 4.5.3.2 asks for 5 minutes
     * for MAIL/RCPT and 10 for the reply to the final "."; one timer covers both, so it is the 10.
     */
    replyTimeoutMs: 600_000,
    /** OUTPOST_DELIVERY_REQUIRE_TLS: default for a message (and domain) that does not say: insist on STARTTLS. */
    requireTls: false,
    /** OUTPOST_DELIVERY_VERIFY_CERT: default for a message that does not say: check the MX certificate (most MX use self-signed ones). */
    verifyCert: false,
    /** OUTPOST_MX_CACHE_TIME: how long MX answers are cached; DNS TTLs are not visible through node's resolver. */
    mxCacheMs: 60_000,
  },

  spool: {
    /** OUTPOST_SPOOL_CHUNK_BYTES: size of the chunks a body is stored in; one LevelDB value each. */
    bodyChunkBytes: 64 * 1024,
    /** OUTPOST_MAX_MESSAGE_BYTES: largest message accepted, in bytes. */
    maxMessageBytes: 30 * 1024 * 1024,
    /**
     * OUTPOST_MAX_QUEUED_RECIPIENTS: while this node's queue holds this many recipients,
     * REST sends answer 503 queue_full and SMTP MAIL FROM 452 4.3.1 (core/queue-guard.ts).
     * The scheduler keeps queued recipients in memory, 2–4 KB each at peak (100,000
     * measured at about 400 MB RSS), so this default stays near 1 GB of RAM.
     */
    maxQueuedRecipients: 250_000,
  },

  /**
   * Limits and guards of the REST submission endpoint (POST /v1/mail/send). Each
   * is checked before anything is queued and answers with its own error code.
   */
  api: {
    /** OUTPOST_API_MAX_RECIPIENTS: to + cc + bcc of one send, duplicates removed; beyond answers 413 too_many_recipients. */
    maxRecipients: 1000,
    /** OUTPOST_API_MAX_ATTACHMENTS: attachments in one send; beyond answers 413 too_many_attachments. */
    maxAttachments: 50,
    /**
     * OUTPOST_API_MAX_ATTACHMENT_BYTES: decoded size of all of one send's attachments together;
     * beyond answers 413 attachment_too_large. Base64 makes them 4/3 larger in the message,
     * so 20 MiB stays under spool.maxMessageBytes (30 MiB) with room for the text.
     */
    maxAttachmentBytes: 20 * 1024 * 1024,
    /**
     * OUTPOST_API_MAX_JSON_BYTES: largest JSON body (and the text fields of a multipart body
     * together). JSON carries attachments as base64, 4/3 of their size, and is parsed in
     * memory; multipart streams attachments to disk and is the form for large files.
     */
    maxJsonBytes: 30 * 1024 * 1024,
    /** OUTPOST_API_RATE_LIMIT: sends one account may make per window; beyond answers 429 rate_limited. 0 = no limit. */
    rateLimitRequests: 600,
    /** OUTPOST_API_RATE_WINDOW: the window of OUTPOST_API_RATE_LIMIT (fixed windows on the clock). */
    rateLimitWindow: '1m',
  },

  /**
   * Limits and timeouts of the SMTP submission listeners (587 and 465), against
   * floods, slow clients and key guessing. Each has its variable (config/submission.ts).
   */
  submission: {
    /** OUTPOST_SUBMISSION_MAX_CONNECTIONS: open connections on both ports together; beyond, 421 4.7.0 and closed. */
    maxConnections: 200,
    /** OUTPOST_SUBMISSION_MAX_CONNECTIONS_PER_IP: open connections from one client address; beyond, 421 4.7.0 and closed. */
    maxConnectionsPerIp: 20,
    /** OUTPOST_SUBMISSION_IDLE_TIMEOUT: silence from a client the server is waiting for; then 421 4.4.2. */
    idleTimeout: '60s',
    /**
     * OUTPOST_SUBMISSION_COMMAND_TIMEOUT: longest wait for the next complete command line (RFC 5321
     * 4.5.3.2.7 asks servers to wait 5 minutes); a client trickling a byte at a time keeps the idle
     * timer alive but not this one.
     */
    commandTimeout: '5m',
    /** OUTPOST_SUBMISSION_TRANSACTION_TIMEOUT: from MAIL FROM to the last byte of DATA (30 MiB at 100 KB/s takes 5 minutes). */
    transactionTimeout: '10m',
    /** OUTPOST_SUBMISSION_MAX_RECIPIENTS: RCPT TO per message; beyond, 452 4.5.3. */
    maxRecipients: 1000,
    /** OUTPOST_SUBMISSION_MAX_LINE_BYTES: longest line of a message without its CRLF (RFC 5322 2.1.1: 998). */
    maxLineBytes: 998,
    /** OUTPOST_SUBMISSION_MAX_HEADER_BYTES: largest header block of the message or of any MIME part (Postfix: header_size_limit). */
    maxHeaderBytes: 100 * 1024,
    /** OUTPOST_SUBMISSION_MAX_UNAUTHENTICATED_COMMANDS: commands a client may send before AUTH succeeds; then 421 4.7.0. */
    maxUnauthenticatedCommands: 20,
    /** OUTPOST_AUTH_FREE_FAILURES: failed AUTHs (per client address, and per account) answered without delay. */
    authFreeFailures: 3,
    /** OUTPOST_AUTH_DELAY: delay before answering the first failure past the free ones; it doubles with each further one. */
    authDelay: '1s',
    /** OUTPOST_AUTH_MAX_DELAY: the delay stops doubling here. */
    authMaxDelay: '16s',
    /** OUTPOST_AUTH_LOCKOUT_FAILURES: failures that lock the address or account out: AUTH answers 454 4.7.0 without checking the key. */
    authLockoutFailures: 10,
    /** OUTPOST_AUTH_LOCKOUT: how long a lockout lasts. */
    authLockout: '15m',
    /** OUTPOST_AUTH_FAILURE_WINDOW: a key's failures count within a window this long from its first failure; then counting starts afresh. */
    authFailureWindow: '15m',
  },

  /** OUTPOST_HOOK_TIMEOUT: each hook call is bounded; past this it counts as a temporary failure. */
  hookTimeoutMs: 10_000,
  /** OUTPOST_SHUTDOWN_GRACE: on SIGTERM, in-flight SMTP transactions get this long before connections are cut. */
  shutdownGraceMs: 30_000,
} as const;
