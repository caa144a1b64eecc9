/**
 * The public plugin API. A plugin is an object with a name and a register()
 * function that receives a PluginApi: it adds typed hooks to pipeline stages
 * and listens to events. Built-in plugins use exactly this API; third-party
 * ones are packages or paths listed in OUTPOST_PLUGINS.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Logger } from 'pino';
import type { OutpostConfig } from '../../config/index.js';
import { PluginInvalidError } from '../errors.js';
import type { EventBus, EventListener, EventName } from '../events.js';
import type { HookName, HookOptions, HookRegistry, Hooks } from './hooks.js';

export interface PluginApi {
  /** The running configuration, read-only. */
  readonly config: Readonly<OutpostConfig>;
  /** A pino logger tagged with the plugin's name. */
  readonly logger: Logger;
  /** Adds `fn` to the hook `name`; the type of `fn` follows from the name. */
  addHook<K extends HookName>(name: K, fn: Hooks[K], options?: HookOptions): void;
  /** Observes an event; the listener cannot change the outcome. */
  on<E extends EventName>(event: E, listener: EventListener<E>): void;
}

export interface OutpostPlugin {
  /** Unique, shown in logs and in the message's hook results. */
  name: string;
  register(api: PluginApi): void | Promise<void>;
}

/** Identity function that gives a plugin object its types. */
export function definePlugin(plugin: OutpostPlugin): OutpostPlugin {
  return plugin;
}

export async function registerPlugin(
  plugin: OutpostPlugin,
  deps: { hooks: HookRegistry; events: EventBus; config: OutpostConfig; logger: Logger },
): Promise<void> {
  if (!plugin || typeof plugin.name !== 'string' || typeof plugin.register !== 'function') {
    throw new PluginInvalidError('a plugin must export { name: string, register(api) } (see README, "Writing a plugin")');
  }
  const api: PluginApi = {
    config: deps.config,
    logger: deps.logger.child({ plugin: plugin.name }),
    addHook: (name, fn, options) => deps.hooks.add(plugin.name, name, fn, options),
    on: (event, listener) => deps.events.on(event, listener, plugin.name),
  };
  await plugin.register(api);
}

/** Imports a plugin named in OUTPOST_PLUGINS: a package name, or a path relative to the working directory. */
export async function importPlugin(specifier: string): Promise<OutpostPlugin> {
  const isPath = specifier.startsWith('.') || path.isAbsolute(specifier);
  const target = isPath ? pathToFileURL(path.resolve(specifier)).href : specifier;
  let loaded: { default?: OutpostPlugin };
  try {
    loaded = (await import(target)) as { default?: OutpostPlugin };
  } catch (error) {
    throw new PluginInvalidError(`cannot load plugin "${specifier}" from OUTPOST_PLUGINS: ${(error as Error).message}`);
  }
  if (!loaded.default) throw new PluginInvalidError(`plugin "${specifier}" has no default export; export default definePlugin({...})`);
  return loaded.default;
}
