/**
 * The HTTP front end (Koa): error shape, routes per resource, nothing else.
 * It reaches the core only through ApiServices.
 */
import Router from '@koa/router';
import Koa from 'koa';
import { errorMiddleware } from './errors.js';
import { registerAccountRoutes } from './routes/accounts.js';
import { registerDomainRoutes } from './routes/domains.js';
import { registerMessageRoutes } from './routes/messages.js';
import { registerOpsRoutes } from './routes/ops.js';
import { registerSendRoutes } from './routes/send.js';
import { registerSuppressionRoutes } from './routes/suppressions.js';
import { registerWebhookRoutes } from './routes/webhooks.js';
import type { ApiServices, ApiState } from './services.js';

export function createHttpApp(services: ApiServices): Koa<ApiState> {
  const app = new Koa<ApiState>();
  app.proxy = false;
  const router = new Router<ApiState>();
  registerOpsRoutes(router, services);
  registerAccountRoutes(router, services);
  registerDomainRoutes(router, services);
  registerSendRoutes(router, services);
  registerMessageRoutes(router, services);
  registerSuppressionRoutes(router, services);
  registerWebhookRoutes(router, services);
  app.use(errorMiddleware(services.logger));
  app.use(router.routes());
  app.use(router.allowedMethods({ throw: true }));
  return app;
}
