/**
 * Builds the running configuration from config/defaults.ts and OUTPOST_* variables.
 * Every bad value stops the start with a ConfigError naming the variable and the fix;
 * nothing here reads files or opens sockets.
 */
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { ConfigError } from '../core/errors.js';
import { DEFAULTS } from './defaults.js';
import { loadDeliveryLimits, type DeliveryLimits } from './delivery.js';
import { parseDuration, parseRetrySchedule } from './duration.js';
import { envReader, parseBoolean, setting, type Env } from './env.js';
import { loadSubmissionConfig, type SubmissionConfig } from './submission.js';

/** A TCP port, or 'off' for a disabled listener. */
export type PortSetting = number | 'off';

export interface DeliveryConfig extends DeliveryLimits {
  port: number;
  retryScheduleMs: number[];
  maxQueueTimeMs: number;
  allowPrivateTargets: boolean;
}

/** Limits and guards of POST /v1/mail/send (see DEFAULTS.api). */
export interface ApiConfig {
  maxRecipients: number;
  maxAttachments: number;
  maxAttachmentBytes: number;
  maxJsonBytes: number;
  /** Sends per account per window; requests 0 = no limit. */
  rateLimit: { requests: number; windowMs: number };
}

export interface OutpostConfig {
  dataDir: string;
  hostname: string;
  httpHost: string;
  httpPort: PortSetting;
  publicUrl: string;
  dnsServers: string[];
  redisUrl: string | undefined;
  redisNamespace: string;
  adminKey: string | undefined;
  sendingIps: string[];
  secretKey: string | undefined;
  domainRecheckIntervalMs: number;
  logLevel: string;
  plugins: string[];
  delivery: DeliveryConfig;
  webhooks: { retryScheduleMs: number[]; timeoutMs: number };
  spool: { bodyChunkBytes: number; maxMessageBytes: number; maxQueuedRecipients: number };
  api: ApiConfig;
  /** OUTPOST_SMTP_HOST: where the SMTP listeners bind. */
  smtpHost: string;
  submissionPort: PortSetting;
  submissionTlsPort: PortSetting;
  /** OUTPOST_TLS_CERT / OUTPOST_TLS_KEY as absolute paths; both undefined = self-signed, generated into the data dir. */
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  submission: SubmissionConfig;
  hookTimeoutMs: number;
  shutdownGraceMs: number;
}

function parsePort(text: string, variable: string): PortSetting {
  if (text.toLowerCase() === 'off') return 'off';
  const port = Number(text);
  if (!/^\d{1,5}$/.test(text) || port > 65535) {
    throw new ConfigError(`${variable}: "${text}" is not a port; use 0-65535, or off to disable the listener`);
  }
  return port;
}

function loadApiConfig(env: Env): ApiConfig {
  const defaults = DEFAULTS.api;
  const { count } = envReader(env);
  const windowMs = parseDuration(setting(env, 'OUTPOST_API_RATE_WINDOW', defaults.rateLimitWindow), 'OUTPOST_API_RATE_WINDOW');
  // Retry-After is in whole seconds, so a shorter window could not be told to a client.
  if (windowMs < 1000) throw new ConfigError('OUTPOST_API_RATE_WINDOW must be at least 1s');
  return {
    maxRecipients: count('OUTPOST_API_MAX_RECIPIENTS', defaults.maxRecipients, 1),
    maxAttachments: count('OUTPOST_API_MAX_ATTACHMENTS', defaults.maxAttachments, 0),
    maxAttachmentBytes: count('OUTPOST_API_MAX_ATTACHMENT_BYTES', defaults.maxAttachmentBytes, 0),
    maxJsonBytes: count('OUTPOST_API_MAX_JSON_BYTES', defaults.maxJsonBytes, 1024),
    rateLimit: {
      requests: count('OUTPOST_API_RATE_LIMIT', defaults.rateLimitRequests, 0),
      windowMs,
    },
  };
}

/** `ip` or `ip:port` (IPv6 as `::1` or `[::1]:53`), checked so a typo fails at start, not at first delivery. */
function parseDnsServers(text: string, variable: string): string[] {
  if (!text) return [];
  return text.split(',').map((entry) => {
    const server = entry.trim();
    const withPort = /^\[([^\]]+)\]:(\d{1,5})$/.exec(server) ?? /^([\d.]+):(\d{1,5})$/.exec(server);
    const host = withPort ? withPort[1]! : server.replace(/^\[(.*)\]$/, '$1');
    const port = withPort ? Number(withPort[2]) : 53;
    if (!net.isIP(host) || port < 1 || port > 65535) {
      throw new ConfigError(`${variable}: "${server}" is not an ip or ip:port (write 127.0.0.1:5353 or [::1]:53)`);
    }
    return server;
  });
}

/** Comma-separated IP addresses (no ports). */
function parseIpList(text: string, variable: string): string[] {
  if (!text) return [];
  return text.split(',').map((entry) => {
    const ip = entry.trim();
    if (!net.isIP(ip)) throw new ConfigError(`${variable}: "${ip}" is not an IP address`);
    return ip;
  });
}

/** OUTPOST_TLS_CERT and OUTPOST_TLS_KEY go together: a certificate without its key (or the reverse) cannot serve TLS. */
function loadTlsFiles(env: Env): { tlsCertFile: string | undefined; tlsKeyFile: string | undefined } {
  const cert = setting(env, 'OUTPOST_TLS_CERT', DEFAULTS.tlsCert);
  const key = setting(env, 'OUTPOST_TLS_KEY', DEFAULTS.tlsKey);
  if (Boolean(cert) !== Boolean(key)) {
    throw new ConfigError(`${cert ? 'OUTPOST_TLS_KEY' : 'OUTPOST_TLS_CERT'} is missing: set OUTPOST_TLS_CERT and OUTPOST_TLS_KEY together (PEM files), or neither for a self-signed certificate`);
  }
  return { tlsCertFile: cert ? path.resolve(cert) : undefined, tlsKeyFile: key ? path.resolve(key) : undefined };
}

/** The configuration for this process; `env` defaults to process.env. */
export function loadConfig(env: Env = process.env): OutpostConfig {
  const read = envReader(env);
  const hostname = setting(env, 'OUTPOST_HOSTNAME', DEFAULTS.hostname || os.hostname());
  const httpPort = parsePort(setting(env, 'OUTPOST_HTTP_PORT', DEFAULTS.httpPort), 'OUTPOST_HTTP_PORT');
  const deliveryPort = parsePort(setting(env, 'OUTPOST_DELIVERY_PORT', DEFAULTS.deliveryPort), 'OUTPOST_DELIVERY_PORT');
  if (deliveryPort === 'off' || deliveryPort === 0) {
    throw new ConfigError('OUTPOST_DELIVERY_PORT must be a real port (25 on the Internet)');
  }
  const plugins = setting(env, 'OUTPOST_PLUGINS', DEFAULTS.plugins);
  const redisUrl = setting(env, 'OUTPOST_REDIS_URL', DEFAULTS.redisUrl);
  if (redisUrl && (!env.OUTPOST_SECRET_KEY || !env.OUTPOST_ADMIN_KEY)) {
    // keys generated into one node's data dir would differ on every node: DKIM keys sealed on one could not be opened on another
    throw new ConfigError('with OUTPOST_REDIS_URL (cluster mode) set OUTPOST_SECRET_KEY and OUTPOST_ADMIN_KEY, the same on every node');
  }
  return {
    dataDir: path.resolve(setting(env, 'OUTPOST_DATA_DIR', DEFAULTS.dataDir)),
    hostname,
    httpHost: setting(env, 'OUTPOST_HTTP_HOST', DEFAULTS.httpHost),
    httpPort,
    publicUrl: setting(env, 'OUTPOST_PUBLIC_URL', DEFAULTS.publicUrl || `http://${hostname}:${httpPort}`),
    dnsServers: parseDnsServers(setting(env, 'OUTPOST_DNS_SERVERS', DEFAULTS.dnsServers), 'OUTPOST_DNS_SERVERS'),
    redisUrl: setting(env, 'OUTPOST_REDIS_URL', DEFAULTS.redisUrl) || undefined,
    redisNamespace: setting(env, 'OUTPOST_REDIS_NAMESPACE', DEFAULTS.redisNamespace),
    adminKey: setting(env, 'OUTPOST_ADMIN_KEY', DEFAULTS.adminKey) || undefined,
    sendingIps: parseIpList(setting(env, 'OUTPOST_SENDING_IPS', DEFAULTS.sendingIps), 'OUTPOST_SENDING_IPS'),
    secretKey: setting(env, 'OUTPOST_SECRET_KEY', DEFAULTS.secretKey) || undefined,
    domainRecheckIntervalMs: parseDuration(setting(env, 'OUTPOST_DOMAIN_RECHECK_INTERVAL', DEFAULTS.domainRecheckInterval), 'OUTPOST_DOMAIN_RECHECK_INTERVAL'),
    logLevel: setting(env, 'OUTPOST_LOG_LEVEL', DEFAULTS.logLevel),
    plugins: plugins ? plugins.split(',').map((name) => name.trim()).filter(Boolean) : [],
    webhooks: {
      retryScheduleMs: parseRetrySchedule(setting(env, 'OUTPOST_WEBHOOK_RETRY_SCHEDULE', DEFAULTS.webhookRetrySchedule), 'OUTPOST_WEBHOOK_RETRY_SCHEDULE'),
      // a receiver should answer at once and do its work afterwards
      timeoutMs: 10_000,
    },
    delivery: {
      ...loadDeliveryLimits(env),
      port: deliveryPort,
      retryScheduleMs: parseRetrySchedule(setting(env, 'OUTPOST_RETRY_SCHEDULE', DEFAULTS.retrySchedule), 'OUTPOST_RETRY_SCHEDULE'),
      maxQueueTimeMs: parseDuration(setting(env, 'OUTPOST_MAX_QUEUE_TIME', DEFAULTS.maxQueueTime), 'OUTPOST_MAX_QUEUE_TIME'),
      allowPrivateTargets: parseBoolean(
        setting(env, 'OUTPOST_ALLOW_PRIVATE_TARGETS', DEFAULTS.allowPrivateTargets),
        'OUTPOST_ALLOW_PRIVATE_TARGETS',
      ),
    },
    spool: {
      bodyChunkBytes: read.count('OUTPOST_SPOOL_CHUNK_BYTES', DEFAULTS.spool.bodyChunkBytes, 1024),
      maxMessageBytes: read.count('OUTPOST_MAX_MESSAGE_BYTES', DEFAULTS.spool.maxMessageBytes, 1024),
      maxQueuedRecipients: read.count('OUTPOST_MAX_QUEUED_RECIPIENTS', DEFAULTS.spool.maxQueuedRecipients, 1),
    },
    api: loadApiConfig(env),
    smtpHost: setting(env, 'OUTPOST_SMTP_HOST', DEFAULTS.smtpHost),
    submissionPort: parsePort(setting(env, 'OUTPOST_SUBMISSION_PORT', DEFAULTS.submissionPort), 'OUTPOST_SUBMISSION_PORT'),
    submissionTlsPort: parsePort(setting(env, 'OUTPOST_SUBMISSION_TLS_PORT', DEFAULTS.submissionTlsPort), 'OUTPOST_SUBMISSION_TLS_PORT'),
    ...loadTlsFiles(env),
    submission: loadSubmissionConfig(env),
    hookTimeoutMs: read.duration('OUTPOST_HOOK_TIMEOUT', DEFAULTS.hookTimeoutMs),
    shutdownGraceMs: read.duration('OUTPOST_SHUTDOWN_GRACE', DEFAULTS.shutdownGraceMs),
  };
}
