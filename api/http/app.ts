/**
 * The HTTP front end (Koa): error shape, routes per resource, nothing else.
 * It reaches the core only through the Intake (core/intake.ts).
 */
import Router from '@koa/router';
import Koa from 'koa';
import { consoleMiddleware } from './console/index.js';
import { errorMiddleware } from './errors.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerDomainRoutes } from './routes/domains.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerPluginRoutes } from './routes/plugins.js';
import { registerSendRoutes } from './routes/send.js';
import { registerStatsRoutes } from './routes/stats.js';
import { registerSuppressionRoutes } from './routes/suppressions.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import type { Intake } from '../../core/intake.js';
import type { ApiState } from './auth.js';

export function createHttpApp(intake: Intake): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = false;
  const router = new Router<ApiState>();
  registerOpsRoutes(router, intake);
  registerAccountRoutes(router, intake);
  registerDomainRoutes(router, intake);
  registerSendRoutes(router, intake);
  registerMessageRoutes(router, intake);
  registerSuppressionRoutes(router, intake);
  registerWebhookRoutes(router, intake);
  registerStatsRoutes(router, intake);
  registerPluginRoutes(router, intake);
  app.use(errorMiddleware(intake.logger));
  const worker = intake.worker;
  if (worker !== undefined) {
    // which worker answered: for operators reading logs side by side, and for the tests of workers
    app.use(async (ctx, next) => {
      ctx.set('X-Outpost-Worker', String(worker));
      await next();
    });
  }
  // the web console answers /ui and below with pages (and its own error pages); OUTPOST_CONSOLE=off leaves it out
  if (intake.config.console.enabled) app.use(consoleMiddleware(intake));
  app.use(router.routes());
  // 405 (with Allow) and 501 are left without a body; errorMiddleware gives them the error shape
  app.use(router.allowedMethods({ throw: false }));
  return app;
}
