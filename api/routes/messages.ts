/**
 * GET /v1/mail/messages and /v1/mail/messages/:id (being built).
 */
import type Router from '@koa/router';
import type { ApiServices, ApiState } from '../services.js';

export function registerMessageRoutes(_router: Router<ApiState>, _services: ApiServices): void {}
