/**
 * POST /v1/mail/send (being built).
 */
import type Router from '@koa/router';
import type { ApiServices, ApiState } from '../services.js';

export function registerSendRoutes(_router: Router<ApiState>, _services: ApiServices): void {}
