/**
 * Mounts the routes plugins registered (core/plugins/routes.ts), each under its
 * plugin's prefix. A request becomes a PluginHttpRequest (method, path below the
 * prefix, params, query, lower-cased headers, a body of at most 64 KiB, client
 * address) and the handler's PluginHttpResponse is written back as is; a
 * handler that throws answers 500 in the registry's error shape and is logged
 * with the plugin's name. No account key is needed: these are the links in mail
 * (tracking, unsubscribe), each plugin checks its own signed tokens.
 */
import type Router from '@koa/router';
import parse from 'co-body';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';

/** Largest body a plugin route reads (an unsubscribe POST is a few bytes). */
const MAX_PLUGIN_BODY_BYTES = 64 * 1024;

export function registerPluginRoutes(router: Router<ApiState>, intake: Intake): void {
  for (const route of intake.pluginRoutes) {
    const prefix = `/${route.prefix}`;
    const method = route.method === 'GET' ? router.get.bind(router) : router.post.bind(router);
    method(route.path, async (ctx) => {
      const body = route.method === 'POST' ? Buffer.from(await parse.text(ctx, { limit: MAX_PLUGIN_BODY_BYTES })) : Buffer.alloc(0);
      let response;
      try {
        response = await route.handler({
          method: ctx.method,
          path: ctx.path.slice(prefix.length) || '/',
          params: { ...ctx.params },
          query: { ...ctx.query } as Record<string, string | string[]>,
          headers: { ...ctx.headers },
          body,
          ip: ctx.ip,
        });
      } catch (error) {
        intake.logger.error({ err: error, plugin: route.plugin, path: ctx.path }, 'plugin route failed');
        ctx.status = 500;
        ctx.body = { code: 'plugin_failed', message: `plugin ${route.plugin} could not answer ${ctx.method} ${ctx.path}; see the server log` };
        return;
      }
      ctx.status = response.status;
      for (const [name, value] of Object.entries(response.headers ?? {})) ctx.set(name, value);
      ctx.body = response.body ?? '';
    });
  }
}
