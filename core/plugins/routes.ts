/**
 * The HTTP routes plugins register (tracking pixels, click redirects,
 * unsubscribe pages), each under its plugin's own prefix `/<plugin name>`.
 * Kept here as plain data; the HTTP front end (api/http) mounts them and turns
 * requests into PluginHttpRequests. A plugin can never claim a path outside its
 * prefix, so it cannot shadow /v1, /health, /metrics or another plugin.
 */
import { outpostError } from '../errors.js';
import type { PluginRouteHandler } from './plugin-api.js';

export interface PluginRoute {
  plugin: string;
  /** The path prefix of the plugin's routes, without slashes. */
  prefix: string;
  method: 'GET' | 'POST';
  /** The full path, prefix included, in @koa/router's syntax (`/tracking/o/:token`). */
  path: string;
  handler: PluginRouteHandler;
}

/** Top-level paths of Outpost's own; no plugin may be named like one of them. */
export const RESERVED_PREFIXES: readonly string[] = ['v1', 'health', 'metrics', 'ui', 'openapi', 'api'];

/** A path below a prefix: segments of letters, digits, `-_.~` or `:param`, no `..`. */
const ROUTE_PATH = /^(\/(:?[A-Za-z0-9._~-]+))+$|^\/$/;

export class PluginRoutes {
  private readonly list: PluginRoute[] = [];
  /** Prefix → the plugin that has it. */
  private readonly prefixes = new Map<string, string>();

  /** Every route in registration order. */
  get all(): readonly PluginRoute[] {
    return this.list;
  }

  /** Claims `prefix` for `plugin`; another plugin's or one of Outpost's own fails the start. */
  claim(plugin: string, prefix: string): void {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(prefix)) throw outpostError('plugin_invalid', `plugin ${plugin}: HTTP prefix "${prefix}" must be lower-case letters, digits and dashes`);
    if (RESERVED_PREFIXES.includes(prefix)) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: HTTP prefix "${prefix}" is one of Outpost's own paths (${RESERVED_PREFIXES.join(', ')}); choose another httpPrefix`);
    }
    const owner = this.prefixes.get(prefix);
    if (owner !== undefined && owner !== plugin) throw outpostError('plugin_invalid', `plugin ${plugin}: HTTP prefix "${prefix}" is plugin ${owner}'s; choose another httpPrefix`);
    this.prefixes.set(prefix, plugin);
  }

  add(plugin: string, prefix: string, method: PluginRoute['method'], path: string, handler: PluginRouteHandler): void {
    this.claim(plugin, prefix);
    if (!ROUTE_PATH.test(path) || path.split('/').includes('..')) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: route path "${path}" must start with / and hold only letters, digits, -_.~ and :params`);
    }
    if (typeof handler !== 'function') throw outpostError('plugin_invalid', `plugin ${plugin}: the handler of ${method} ${path} must be a function`);
    const full = path === '/' ? `/${prefix}` : `/${prefix}${path}`;
    if (this.list.some((route) => route.method === method && route.path === full)) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: ${method} ${path} is registered twice`);
    }
    this.list.push({ plugin, prefix, method, path: full, handler });
  }
}
