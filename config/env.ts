/**
 * Readers of one OUTPOST_* variable each, shared by the loaders in config/. A
 * blank variable counts as unset; a bad value throws a ConfigError naming the
 * variable and what it takes.
 */
import { ConfigError } from '../core/errors.js';
import { parseDuration } from './duration.js';

export type Env = Record<string, string | undefined>;

/** The variable's trimmed value, or `fallback` when it is unset or blank. */
export function setting(env: Env, variable: string, fallback: string): string {
  const value = env[variable];
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

export function parseBoolean(text: string, variable: string): boolean {
  if (/^(true|1|yes|on)$/i.test(text)) return true;
  if (/^(false|0|no|off)$/i.test(text)) return false;
  throw new ConfigError(`${variable}: "${text}" is not a boolean; use true or false`);
}

/** A whole number of at least `minimum` (counts, byte sizes). */
export function parseCount(text: string, variable: string, minimum: number): number {
  const count = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(count) || count < minimum) {
    throw new ConfigError(`${variable}: "${text}" is not a whole number of at least ${minimum}`);
  }
  return count;
}

/** Typed readers bound to one environment: `count(variable, default, minimum)` and so on. */
export function envReader(env: Env) {
  return {
    count: (variable: string, fallback: number, minimum: number): number => parseCount(setting(env, variable, String(fallback)), variable, minimum),
    boolean: (variable: string, fallback: boolean): boolean => parseBoolean(setting(env, variable, String(fallback)), variable),
    /** A duration (`30s`, `5m`...) longer than 0, in milliseconds; `fallback` is a duration text or milliseconds. */
    duration: (variable: string, fallback: string | number): number => {
      const milliseconds = parseDuration(setting(env, variable, typeof fallback === 'number' ? `${fallback}ms` : fallback), variable);
      if (milliseconds <= 0) throw new ConfigError(`${variable} must be longer than 0`);
      return milliseconds;
    },
  };
}
