/**
 * Admin endpoints for accounts (admin key): create, list, get, disable/enable,
 * delete, rotate key. The API key is shown only when created or rotated.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { accountView } from '../../../core/intake.js';
import { requireAdmin } from '../auth.js';
import { readJson } from '../body.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseBody } from '../validation.js';

export const CreateAccountBody = z.strictObject({ name: z.string().min(1).max(100) });
export const UpdateAccountBody = z.strictObject({ status: z.enum(['active', 'disabled']) });

export function registerAccountRoutes(router: Router<ApiState>, intake: Intake): void {
  const admin = requireAdmin(intake);
  const limit = 64 * 1024;

  router.post('/v1/accounts', admin, async (ctx) => {
    const { name } = parseBody(CreateAccountBody, await readJson(ctx, limit));
    const { account, apiKey } = await intake.accounts.create(name);
    ctx.status = 201;
    ctx.body = { ...accountView(account), api_key: apiKey };
  });

  router.get('/v1/accounts', admin, async (ctx) => {
    ctx.body = { items: (await intake.accounts.list()).map(accountView) };
  });

  router.get('/v1/accounts/:id', admin, async (ctx) => {
    ctx.body = accountView(await intake.accounts.get(ctx.params.id!));
  });

  router.patch('/v1/accounts/:id', admin, async (ctx) => {
    const { status } = parseBody(UpdateAccountBody, await readJson(ctx, limit));
    ctx.body = accountView(await intake.accounts.setStatus(ctx.params.id!, status));
  });

  router.post('/v1/accounts/:id/disable', admin, async (ctx) => {
    ctx.body = accountView(await intake.accounts.setStatus(ctx.params.id!, 'disabled'));
  });

  router.post('/v1/accounts/:id/enable', admin, async (ctx) => {
    ctx.body = accountView(await intake.accounts.setStatus(ctx.params.id!, 'active'));
  });

  router.post('/v1/accounts/:id/rotate-key', admin, async (ctx) => {
    const { account, apiKey } = await intake.accounts.rotateKey(ctx.params.id!);
    ctx.body = { ...accountView(account), api_key: apiKey };
  });

  router.delete('/v1/accounts/:id', admin, async (ctx) => {
    await intake.accounts.delete(ctx.params.id!);
    ctx.status = 204;
  });
}
