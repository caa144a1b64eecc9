/**
 * Compatibility only: the default value of every setting, as config/settings.ts
 * loads them with no variable set, for bench/queue-scale.ts, which reads
 * DEFAULTS.delivery.maxConnectionsPerDomain. New code reads SETTINGS or loadConfig.
 */
import { readSettings } from './setting.js';
import { SETTINGS } from './settings.js';

export const DEFAULTS = readSettings(SETTINGS, {});
