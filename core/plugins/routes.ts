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

  /** Every route in registration order. */
  get all(): readonly PluginRoute[] {
    return this.list;
  }

  add(plugin: string, method: PluginRoute['method'], path: string, handler: PluginRouteHandler): void {
    if (RESERVED_PREFIXES.includes(plugin)) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: its name is one of Outpost's own paths (${RESERVED_PREFIXES.join(', ')}), so it cannot have HTTP routes; rename the plugin`);
    }
    if (!ROUTE_PATH.test(path) || path.split('/').includes('..')) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: route path "${path}" must start with / and hold only letters, digits, -_.~ and :params`);
    }
    if (typeof handler !== 'function') throw outpostError('plugin_invalid', `plugin ${plugin}: the handler of ${method} ${path} must be a function`);
    const full = path === '/' ? `/${plugin}` : `/${plugin}${path}`;
    if (this.list.some((route) => route.method === method && route.path === full)) {
      throw outpostError('plugin_invalid', `plugin ${plugin}: ${method} ${path} is registered twice`);
    }
    this.list.push({ plugin, method, path: full, handler });
  }
}
