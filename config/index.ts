/**
 * The running configuration: every setting of config/settings.ts read from its
 * OUTPOST_* variable, then the rules that tie settings together. Every bad value
 * stops the start with a config_invalid error naming the variable and the fix; nothing
 * here reads files or opens sockets.
 */
import os from 'node:os';
import { outpostError } from '../core/errors.js';
import { readSettings, type Env, type parse, type ValuesOf } from './setting.js';
import { SETTINGS } from './settings.js';

export type OutpostConfig = ValuesOf<typeof SETTINGS>;

/** A TCP port, or 'off' for a disabled listener. */
export type PortSetting = ReturnType<typeof parse.port>;

export type DeliveryConfig = OutpostConfig['delivery'];

/** Limits and guards of POST /v1/mail/send; rateLimit.requests 0 = no limit. */
export type ApiConfig = OutpostConfig['api'];

/** The configuration for this process; `env` defaults to process.env. */
export function loadConfig(env: Env = process.env): OutpostConfig {
  const config = readSettings(SETTINGS, env);
  // os.hostname() is the machine's, so it cannot be a written default
  config.hostname ||= os.hostname();
  config.publicUrl ||= `http://${config.hostname}:${config.httpPort}`;
  if (Boolean(config.tlsCertFile) !== Boolean(config.tlsKeyFile)) {
    // a certificate without its key (or the reverse) cannot serve TLS
    throw outpostError('config_invalid', `${config.tlsCertFile ? 'OUTPOST_TLS_KEY' : 'OUTPOST_TLS_CERT'} is missing: set OUTPOST_TLS_CERT and OUTPOST_TLS_KEY together (PEM files), or neither for a self-signed certificate`);
  }
  if (config.redisUrl && (!config.secretKey || !config.adminKey)) {
    // keys generated into one node's data dir would differ on every node: DKIM keys sealed on one could not be opened on another
    throw outpostError('config_invalid', 'with OUTPOST_REDIS_URL (cluster mode) set OUTPOST_SECRET_KEY and OUTPOST_ADMIN_KEY, the same on every node');
  }
  return config;
}
