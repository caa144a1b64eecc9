/**
 * The types of the SMTP submission settings (SETTINGS.submission in
 * config/settings.ts), under the names the listeners and the AUTH throttle import.
 */
import type { ValuesOf } from './setting.js';
import type { SETTINGS } from './settings.js';

export type SubmissionConfig = ValuesOf<typeof SETTINGS.submission>;

/** Failed-AUTH throttling, per client address and per account (core/accounts/auth-throttle.ts). */
export type AuthThrottleConfig = SubmissionConfig['authThrottle'];
