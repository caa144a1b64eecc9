/**
 * The delivery limits and timeouts (DEFAULTS.delivery) read from their
 * OUTPOST_DELIVERY_* variables. The destination port, retry schedule, queue
 * time and private-target switch are read in config/index.ts with the other
 * settings the SPEC names.
 */
import { DEFAULTS } from './defaults.js';
import { envReader, type Env } from './env.js';

export interface DeliveryLimits {
  maxConnections: number;
  maxConnectionsPerDomain: number;
  maxRecipientsPerTransaction: number;
  maxMessagesPerConnection: number;
  idleConnectionMs: number;
  closeTimeoutMs: number;
  connectTimeoutMs: number;
  greetingTimeoutMs: number;
  replyTimeoutMs: number;
  requireTls: boolean;
  verifyCert: boolean;
  mxCacheMs: number;
}

export function loadDeliveryLimits(env: Env): DeliveryLimits {
  const defaults = DEFAULTS.delivery;
  const { count, boolean, duration } = envReader(env);
  return {
    maxConnections: count('OUTPOST_DELIVERY_MAX_CONNECTIONS', defaults.maxConnections, 1),
    maxConnectionsPerDomain: count('OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN', defaults.maxConnectionsPerDomain, 1),
    maxRecipientsPerTransaction: count('OUTPOST_DELIVERY_MAX_RECIPIENTS_PER_TRANSACTION', defaults.maxRecipientsPerTransaction, 1),
    maxMessagesPerConnection: count('OUTPOST_DELIVERY_MAX_MESSAGES_PER_CONNECTION', defaults.maxMessagesPerConnection, 1),
    idleConnectionMs: duration('OUTPOST_DELIVERY_IDLE_TIMEOUT', defaults.idleConnectionMs),
    closeTimeoutMs: duration('OUTPOST_DELIVERY_CLOSE_TIMEOUT', defaults.closeTimeoutMs),
    connectTimeoutMs: duration('OUTPOST_DELIVERY_CONNECT_TIMEOUT', defaults.connectTimeoutMs),
    greetingTimeoutMs: duration('OUTPOST_DELIVERY_GREETING_TIMEOUT', defaults.greetingTimeoutMs),
    replyTimeoutMs: duration('OUTPOST_DELIVERY_REPLY_TIMEOUT', defaults.replyTimeoutMs),
    requireTls: boolean('OUTPOST_DELIVERY_REQUIRE_TLS', defaults.requireTls),
    verifyCert: boolean('OUTPOST_DELIVERY_VERIFY_CERT', defaults.verifyCert),
    mxCacheMs: duration('OUTPOST_MX_CACHE_TIME', defaults.mxCacheMs),
  };
}
