/**
 * The HTTP front end (Koa). For now it serves GET /health; the REST
 * submission API mounts here. It reaches the core only through the Outpost
 * facade handed to it, never the spool or the scheduler directly.
 */
import Koa from 'koa';
import Router from '@koa/router';

export interface HealthSource {
  /** Names of enabled listeners that are not up yet (empty when healthy). */
  failingParts(): string[];
}

export function createHttpApp(health: HealthSource): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/health', (ctx) => {
    const failing = health.failingParts();
    ctx.status = failing.length === 0 ? 200 : 503;
    ctx.body = failing.length === 0 ? { status: 'ok' } : { status: 'unavailable', failing };
  });
  app.use(router.routes());
  app.use(router.allowedMethods());
  return app;
}
