/**
 * Where the commands find the server and the keys, first found wins: the
 * flags (--url, --key, --admin-key), the environment (OUTPOST_URL,
 * OUTPOST_API_KEY, OUTPOST_ADMIN_KEY), a config file (--config, else
 * OUTPOST_CONFIG, else ~/.config/outpost/config.json if it exists:
 * `{"url": "...", "key": "...", "admin_key": "..."}`), and for the URL the
 * address `npm start` listens on. It must never print a key.
 */
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Outpost } from '../../api/client/index.js';
import { CliFailure, EXIT } from './exit-codes.js';

/** The global flags every command inherits. */
export interface GlobalFlags {
  url?: string;
  key?: string;
  adminKey?: string;
  config?: string;
  json?: boolean;
}

export interface Connection {
  url: string;
  key: string | undefined;
  adminKey: string | undefined;
}

/** `npm start` listens on port 8080 of every interface. */
export const DEFAULT_URL = 'http://127.0.0.1:8080';

interface ConfigFile {
  url?: string;
  key?: string;
  admin_key?: string;
}

export function defaultConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(env.XDG_CONFIG_HOME || path.join(os.homedir(), '.config'), 'outpost', 'config.json');
}

export function resolveConnection(flags: GlobalFlags, env: NodeJS.ProcessEnv = process.env): Connection {
  const file = readConfigFile(flags.config ?? env.OUTPOST_CONFIG, env);
  return {
    url: flags.url ?? env.OUTPOST_URL ?? file.url ?? DEFAULT_URL,
    key: flags.key ?? env.OUTPOST_API_KEY ?? file.key,
    adminKey: flags.adminKey ?? env.OUTPOST_ADMIN_KEY ?? file.admin_key,
  };
}

/** A client for the command's flags; `needs` says which key must be there, so its absence is a usage error before anything is sent. */
export function clientFor(flags: GlobalFlags, needs: 'key' | 'admin-key' | 'none'): Outpost {
  const connection = resolveConnection(flags);
  if (needs === 'key' && !connection.key) {
    throw new CliFailure('no API key: pass --key op_..., set OUTPOST_API_KEY, or put "key" in the config file (an admin creates one with: outpost accounts create NAME)', EXIT.usage);
  }
  if (needs === 'admin-key' && !connection.adminKey) {
    throw new CliFailure('no admin key: pass --admin-key, set OUTPOST_ADMIN_KEY, or put "admin_key" in the config file (the server printed it at first start; it is in its data/admin.key)', EXIT.usage);
  }
  try {
    return new Outpost({
      url: connection.url,
      ...(connection.key ? { key: connection.key } : {}),
      ...(connection.adminKey ? { adminKey: connection.adminKey } : {}),
      userAgent: 'outpost-cli',
    });
  } catch (error) {
    throw new CliFailure(`${(error as Error).message} (from --url, OUTPOST_URL or the config file)`, EXIT.usage);
  }
}

function readConfigFile(explicitPath: string | undefined, env: NodeJS.ProcessEnv): ConfigFile {
  const file = explicitPath ?? defaultConfigPath(env);
  // the default file is optional; one named on purpose must be there
  if (!explicitPath && !existsSync(file)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const problem = (error as { code?: string }).code === 'ENOENT' ? 'does not exist' : `is not readable JSON (${(error as Error).message})`;
    throw new CliFailure(`config file ${file} ${problem}; it holds {"url": "...", "key": "...", "admin_key": "..."}`, EXIT.usage);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new CliFailure(`config file ${file} must hold a JSON object: {"url": "...", "key": "...", "admin_key": "..."}`, EXIT.usage);
  }
  const config = parsed as Record<string, unknown>;
  for (const name of ['url', 'key', 'admin_key']) {
    if (config[name] !== undefined && typeof config[name] !== 'string') throw new CliFailure(`config file ${file}: "${name}" must be a string`, EXIT.usage);
  }
  return config as ConfigFile;
}
