/**
 * Registration: checks each plugin's definition, reads its settings from their
 * variables, and calls its register() with a PluginApi of its own (its name on
 * the logger, its metrics prefix, its HTTP prefix) over the shared facades.
 * Built-ins and third-party plugins go through exactly this; a bad definition,
 * setting or registration stops the start with an error naming the plugin.
 */
import type { Logger } from 'pino';
import { readSettings, type Env, type SettingsTable } from '../../config/setting.js';
import { outpostError, registerErrorCode } from '../errors.js';
import type { EventBus } from '../events.js';
import type { OutpostMetrics } from '../metrics.js';
import type { PluginFacades } from './facades.js';
import type { HookRegistry } from './hooks.js';
import type { OutpostIdentity, OutpostPlugin, PluginApi, PluginHttp } from './plugin-api.js';
import type { PluginRoutes } from './routes.js';
import { pluginTokens } from './tokens.js';

/** What registration needs of the core. */
export interface PluginHost {
  hooks: HookRegistry;
  events: EventBus;
  facades: PluginFacades;
  metrics: OutpostMetrics;
  routes: PluginRoutes;
  identity: OutpostIdentity;
  /** Where the plugins' settings are read from (the environment the config came from). */
  env: Env;
  /** A key of its own for `purpose`, derived from OUTPOST_SECRET_KEY (each plugin's tokens). */
  deriveKey(purpose: string): Buffer;
  logger: Logger;
}

/** Lower-case letters, digits and dashes: a plugin's name is also its HTTP prefix and part of metric names. */
const PLUGIN_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** Registers `plugins` in order; names must be unique. */
export async function registerPlugins(plugins: readonly OutpostPlugin[], host: PluginHost): Promise<void> {
  const seen = new Set<string>();
  for (const plugin of plugins) {
    checkDefinition(plugin);
    if (seen.has(plugin.name)) throw outpostError('plugin_invalid', `two plugins are named "${plugin.name}"; plugin names must be unique`);
    seen.add(plugin.name);
    await plugin.register(pluginApi(plugin, host));
  }
}

function checkDefinition(plugin: OutpostPlugin): void {
  if (!plugin || typeof plugin.name !== 'string' || typeof plugin.register !== 'function') {
    throw outpostError('plugin_invalid', 'a plugin must export { name: string, register(api) } (see README, "Writing a plugin")');
  }
  if (!PLUGIN_NAME.test(plugin.name)) {
    throw outpostError('plugin_invalid', `plugin name "${plugin.name}" must be lower-case letters, digits and dashes (it is also the plugin's HTTP prefix)`);
  }
}

function pluginApi(plugin: OutpostPlugin, host: PluginHost): PluginApi {
  const settings: SettingsTable = plugin.settings ?? {};
  const prefix = plugin.httpPrefix ?? plugin.name;
  if (plugin.httpPrefix !== undefined) host.routes.claim(plugin.name, prefix);
  const http: PluginHttp = {
    prefix: `/${prefix}`,
    urlFor: (path) => `${host.identity.publicUrl.replace(/\/+$/, '')}/${prefix}${path.startsWith('/') ? path : `/${path}`}`,
    get: (path, handler) => host.routes.add(plugin.name, prefix, 'GET', path, handler),
    post: (path, handler) => host.routes.add(plugin.name, prefix, 'POST', path, handler),
  };
  return {
    name: plugin.name,
    config: Object.freeze(readSettings(settings, host.env)),
    outpost: host.identity,
    logger: host.logger.child({ plugin: plugin.name }),
    addHook: (name, fn, options) => host.hooks.add(plugin.name, name, fn, options),
    on: (event, listener) => host.events.on(event, listener, plugin.name),
    registerErrorCode: (code, reply) => registerErrorCode(plugin.name, code, reply),
    ...host.facades,
    tokens: pluginTokens(host.deriveKey(`plugin ${plugin.name} tokens`)),
    metrics: host.metrics.forPlugin(plugin.name),
    http,
  };
}
