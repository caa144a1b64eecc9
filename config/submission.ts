/**
 * Settings of the SMTP submission listeners (DEFAULTS.submission) read from their
 * OUTPOST_SUBMISSION_* and OUTPOST_AUTH_* variables. Kept apart from
 * config/index.ts so the listeners' many knobs do not crowd the main loader;
 * like it, a bad value throws a ConfigError naming the variable, and nothing
 * here reads files or opens sockets.
 */
import { DEFAULTS } from './defaults.js';
import { parseDuration } from './duration.js';
import { envReader, setting, type Env } from './env.js';

/** Failed-AUTH throttling, per client address and per account (core/submission/auth-throttle.ts). */
export interface AuthThrottleConfig {
  /** Failures answered without delay. */
  freeFailures: number;
  /** Delay before answering the first failure past the free ones; doubles with each further one. */
  delayMs: number;
  maxDelayMs: number;
  /** Failures (within windowMs) that lock the address or account out. */
  lockoutFailures: number;
  lockoutMs: number;
  windowMs: number;
}

export interface SubmissionConfig {
  maxConnections: number;
  maxConnectionsPerIp: number;
  idleTimeoutMs: number;
  commandTimeoutMs: number;
  transactionTimeoutMs: number;
  maxRecipients: number;
  maxLineBytes: number;
  maxHeaderBytes: number;
  maxUnauthenticatedCommands: number;
  authThrottle: AuthThrottleConfig;
}

export function loadSubmissionConfig(env: Env): SubmissionConfig {
  const defaults = DEFAULTS.submission;
  const { count, duration } = envReader(env);
  // the AUTH delays may be 0 (no delay), so they are read without duration()'s "longer than 0"
  const delay = (variable: string, fallback: string): number => parseDuration(setting(env, variable, fallback), variable);
  const throttle: AuthThrottleConfig = {
    freeFailures: count('OUTPOST_AUTH_FREE_FAILURES', defaults.authFreeFailures, 0),
    delayMs: delay('OUTPOST_AUTH_DELAY', defaults.authDelay),
    maxDelayMs: delay('OUTPOST_AUTH_MAX_DELAY', defaults.authMaxDelay),
    lockoutFailures: count('OUTPOST_AUTH_LOCKOUT_FAILURES', defaults.authLockoutFailures, 1),
    lockoutMs: duration('OUTPOST_AUTH_LOCKOUT', defaults.authLockout),
    windowMs: duration('OUTPOST_AUTH_FAILURE_WINDOW', defaults.authFailureWindow),
  };
  return {
    maxConnections: count('OUTPOST_SUBMISSION_MAX_CONNECTIONS', defaults.maxConnections, 1),
    maxConnectionsPerIp: count('OUTPOST_SUBMISSION_MAX_CONNECTIONS_PER_IP', defaults.maxConnectionsPerIp, 1),
    idleTimeoutMs: duration('OUTPOST_SUBMISSION_IDLE_TIMEOUT', defaults.idleTimeout),
    commandTimeoutMs: duration('OUTPOST_SUBMISSION_COMMAND_TIMEOUT', defaults.commandTimeout),
    transactionTimeoutMs: duration('OUTPOST_SUBMISSION_TRANSACTION_TIMEOUT', defaults.transactionTimeout),
    maxRecipients: count('OUTPOST_SUBMISSION_MAX_RECIPIENTS', defaults.maxRecipients, 1),
    // RFC 5321 4.5.3.1.6 makes servers take lines of 998 octets; a lower limit would refuse valid mail.
    maxLineBytes: count('OUTPOST_SUBMISSION_MAX_LINE_BYTES', defaults.maxLineBytes, 998),
    maxHeaderBytes: count('OUTPOST_SUBMISSION_MAX_HEADER_BYTES', defaults.maxHeaderBytes, 1024),
    maxUnauthenticatedCommands: count('OUTPOST_SUBMISSION_MAX_UNAUTHENTICATED_COMMANDS', defaults.maxUnauthenticatedCommands, 5),
    authThrottle: throttle,
  };
}
