/**
 * Operational endpoints, no authentication: GET /health (200 only when every
 * enabled listener is up and the spool takes writes, 503 naming what is down;
 * the queue size rides along but never fails the check) and GET /metrics
 * (Prometheus text), GET /v1/openapi.json (the API description). None says
 * anything about any account's mail.
 */
import type Router from '@koa/router';
import { openApiDocument } from '../openapi.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';

export function registerOpsRoutes(router: Router<ApiState>, intake: Intake): void {
  router.get('/health', async (ctx) => {
    const [failing, { queued, deferred, deliveriesInFlight }] = await Promise.all([intake.failingParts(), intake.queueSizes()]);
    const queue = { queued, deferred, deliveries_in_flight: deliveriesInFlight };
    ctx.set('Cache-Control', 'no-store');
    ctx.status = failing.length === 0 ? 200 : 503;
    ctx.body = failing.length === 0 ? { status: 'ok', queue } : { status: 'unavailable', failing, queue };
  });

  const openApi = openApiDocument(intake.config.publicUrl);
  router.get('/v1/openapi.json', (ctx) => {
    ctx.body = openApi;
  });

  router.get('/metrics', async (ctx) => {
    ctx.body = await intake.metricsText();
    ctx.set('Content-Type', intake.metricsContentType);
    ctx.set('Cache-Control', 'no-store');
  });
}
