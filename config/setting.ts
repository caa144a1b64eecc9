/**
 * The kit settings are written with, by Outpost (config/settings.ts) and by
 * plugins alike: a setting names its variable, its default as an operator would
 * write it, its parser and one line of doc; a table of them gives both the
 * loaded values and their type (ValuesOf), so neither is written twice.
 * A blank variable counts as unset; every bad value throws a config_invalid error naming
 * the variable and what it takes.
 */
import net from 'node:net';
import path from 'node:path';
import { outpostError, isOutpostError } from '../core/errors.js';
import { parseDuration, parseRetrySchedule } from './duration.js';

export type Env = Record<string, string | undefined>;

export interface Setting<T> {
  /** The environment variable that overrides the default. */
  readonly env: string;
  /** The default as the variable would be written; it goes through `parse` like any value. */
  readonly default: string;
  /** Turns the trimmed text into the value; throws a config_invalid error naming `variable` when it cannot. */
  readonly parse: (text: string, variable: string) => T;
  /** One line for the operator: what the setting changes. */
  readonly doc: string;
}

/** Identity function that gives a setting its value type (inferred from `parse`). */
export function setting<T>(definition: Setting<T>): Setting<T> {
  return definition;
}

/** Settings, grouped by nesting as their values are. */
export type SettingsTable = { readonly [key: string]: Setting<unknown> | SettingsTable };

/** The values a table of settings loads to, nested as the table is. */
export type ValuesOf<T extends SettingsTable> = {
  [K in keyof T]: T[K] extends Setting<infer V> ? V : T[K] extends SettingsTable ? ValuesOf<T[K]> : never;
};

function isSetting(entry: Setting<unknown> | SettingsTable): entry is Setting<unknown> {
  return typeof entry.parse === 'function' && typeof entry.env === 'string';
}

/** The variable's trimmed text, or the setting's default when it is unset or blank. */
function textOf(definition: Setting<unknown>, env: Env): string {
  const value = env[definition.env]?.trim();
  return value ? value : definition.default;
}

function read<T>(definition: Setting<T>, env: Env): T {
  const text = textOf(definition, env);
  try {
    return definition.parse(text, definition.env);
  } catch (error) {
    if (isOutpostError(error, 'config_invalid')) throw error;
    // a plugin's own parser may throw anything; the operator still needs to know which variable to fix
    throw outpostError('config_invalid', `${definition.env}: "${text}" ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Every setting of `table` read from `env`, nested as the table is. */
export function readSettings<T extends SettingsTable>(table: T, env: Env): ValuesOf<T> {
  const values: Record<string, unknown> = {};
  for (const [key, entry] of Object.entries(table)) {
    values[key] = isSetting(entry) ? read(entry, env) : readSettings(entry, env);
  }
  return values as ValuesOf<T>;
}

/** The settings of `table` and its nested tables, flattened in table order (for docs and checks). */
export function settingRows(table: SettingsTable): Setting<unknown>[] {
  return Object.values(table).flatMap((entry) => (isSetting(entry) ? [entry] : settingRows(entry)));
}

/** Comma-separated entries, trimmed; none for an empty text. */
function commaSeparated(text: string): string[] {
  return text ? text.split(',').map((entry) => entry.trim()) : [];
}

/** The parsers settings are written with; each takes the trimmed text and the variable to name in errors. */
export const parse = {
  /** The text as given. */
  text: (text: string): string => text,
  /** The text, or undefined when it is empty (a feature that is off or generated unless set). */
  optionalText: (text: string): string | undefined => text || undefined,
  /** Comma-separated names; empty entries (`a,,b,`) are dropped. */
  list: (text: string): string[] => commaSeparated(text).filter(Boolean),
  /** A whole number of at least `minimum` (counts, byte sizes). */
  count: (minimum: number) => (text: string, variable: string): number => {
    const count = Number(text);
    if (!/^\d+$/.test(text) || !Number.isSafeInteger(count) || count < minimum) {
      throw outpostError('config_invalid', `${variable}: "${text}" is not a whole number of at least ${minimum}`);
    }
    return count;
  },
  /** A duration (`30s`, `5m`...) longer than 0, in milliseconds. */
  duration: (text: string, variable: string): number => {
    const milliseconds = parseDuration(text, variable);
    if (milliseconds <= 0) throw outpostError('config_invalid', `${variable} must be longer than 0`);
    return milliseconds;
  },
  /** A duration in milliseconds where 0 means "none" (no delay, no wait). */
  durationOrZero: (text: string, variable: string): number => parseDuration(text, variable),
  /** A duration of at least `minimum` (itself a duration text such as `1s`), in milliseconds. */
  durationAtLeast: (minimum: string) => {
    const minimumMs = parseDuration(minimum, 'minimum');
    return (text: string, variable: string): number => {
      const milliseconds = parseDuration(text, variable);
      if (milliseconds < minimumMs) throw outpostError('config_invalid', `${variable} must be at least ${minimum}`);
      return milliseconds;
    };
  },
  /** true/1/yes/on or false/0/no/off, in any case. */
  boolean: (text: string, variable: string): boolean => {
    if (/^(true|1|yes|on)$/i.test(text)) return true;
    if (/^(false|0|no|off)$/i.test(text)) return false;
    throw outpostError('config_invalid', `${variable}: "${text}" is not a boolean; use true or false`);
  },
  /** A TCP port to listen on (0 = any free one), or 'off' for a disabled listener. */
  port: (text: string, variable: string): number | 'off' => {
    if (text.toLowerCase() === 'off') return 'off';
    const port = Number(text);
    if (!/^\d{1,5}$/.test(text) || port > 65535) {
      throw outpostError('config_invalid', `${variable}: "${text}" is not a port; use 0-65535, or off to disable the listener`);
    }
    return port;
  },
  /** Delays between attempts (`5m,10m,1h*3`), in milliseconds; the last one repeats. */
  retrySchedule: (text: string, variable: string): number[] => parseRetrySchedule(text, variable),
  /** `ip` or `ip:port` (IPv6 as `::1` or `[::1]:53`), checked so a typo fails at start, not at first lookup. */
  dnsServers: (text: string, variable: string): string[] =>
    commaSeparated(text).map((server) => {
      const withPort = /^\[([^\]]+)\]:(\d{1,5})$/.exec(server) ?? /^([\d.]+):(\d{1,5})$/.exec(server);
      const host = withPort ? withPort[1]! : server.replace(/^\[(.*)\]$/, '$1');
      const serverPort = withPort ? Number(withPort[2]) : 53;
      if (!net.isIP(host) || serverPort < 1 || serverPort > 65535) {
        throw outpostError('config_invalid', `${variable}: "${server}" is not an ip or ip:port (write 127.0.0.1:5353 or [::1]:53)`);
      }
      return server;
    }),
  /** Comma-separated IP addresses (no ports). */
  ipList: (text: string, variable: string): string[] =>
    commaSeparated(text).map((ip) => {
      if (!net.isIP(ip)) throw outpostError('config_invalid', `${variable}: "${ip}" is not an IP address`);
      return ip;
    }),
  /** A file or directory, resolved against the working directory so later chdirs cannot move it. */
  path: (text: string): string => path.resolve(text),
  /** Like `path`, or undefined when empty. */
  optionalPath: (text: string): string | undefined => (text ? path.resolve(text) : undefined),
};
