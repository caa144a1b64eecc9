/**
 * Operational endpoints, no authentication: GET /health (200 only when every
 * enabled listener is up), GET /metrics (Prometheus), GET /v1/openapi.json.
 */
import type Router from '@koa/router';
import type { ApiServices, ApiState } from '../services.js';

export function registerOpsRoutes(router: Router<ApiState>, services: ApiServices): void {
  router.get('/health', (ctx) => {
    const failing = services.failingParts();
    ctx.status = failing.length === 0 ? 200 : 503;
    ctx.body = failing.length === 0 ? { status: 'ok' } : { status: 'unavailable', failing };
  });
}
