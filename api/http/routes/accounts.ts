/**
 * Admin endpoints for accounts (admin key): create, list, get, disable/enable,
 * resume a paused account, its health, delete, rotate key; and the account's
 * own health (its key). The API key is shown only when created or rotated.
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { accountView } from '../../../core/intake.js';
import { accountIdOf, requireAccount, requireAdmin } from '../auth.js';
import { readJson } from '../body.js';
import type { AccountHealthReport, Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseBody } from '../validation.js';
import { ScanSettingsBody } from './domains.js';

export const CreateAccountBody = z.strictObject({ name: z.string().min(1).max(100) });
export const UpdateAccountBody = z.strictObject({ status: z.enum(['active', 'disabled']).optional(), scan: ScanSettingsBody.optional() });

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
    const { status, scan } = parseBody(UpdateAccountBody, await readJson(ctx, limit));
    const id = ctx.params.id!;
    if (scan) await intake.accounts.updateSettings(id, { scan });
    ctx.body = accountView(status ? await intake.accounts.setStatus(id, status) : await intake.accounts.get(id));
  });

  router.post('/v1/accounts/:id/disable', admin, async (ctx) => {
    ctx.body = accountView(await intake.accounts.setStatus(ctx.params.id!, 'disabled'));
  });

  router.post('/v1/accounts/:id/enable', admin, async (ctx) => {
    ctx.body = accountView(await intake.accounts.setStatus(ctx.params.id!, 'active'));
  });

  // a paused account (bounce or complaint rate over a threshold) sends again; the rates are what they were
  router.post('/v1/accounts/:id/resume', admin, async (ctx) => {
    ctx.body = accountView(await intake.accounts.setStatus(ctx.params.id!, 'active'));
  });

  router.get('/v1/accounts/:id/health', admin, async (ctx) => {
    const account = await intake.accounts.get(ctx.params.id!);
    ctx.body = healthJson(account.status, account.pausedReason, await intake.accountHealth(account.id));
  });

  router.get('/v1/account/health', requireAccount(intake), async (ctx) => {
    const account = await intake.accounts.get(accountIdOf(ctx));
    ctx.body = healthJson(account.status, account.pausedReason, await intake.accountHealth(account.id));
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

/** An account's health as the API shows it: status, the window's counts and rates, the thresholds. */
function healthJson(status: string, pausedReason: string | undefined, health: AccountHealthReport) {
  return {
    status,
    ...(status === 'paused' && pausedReason ? { paused_reason: pausedReason } : {}),
    window_hours: Math.round(health.windowMs / 3_600_000),
    delivered: health.delivered,
    bounced: health.bounced,
    hard_bounces: health.hardBounces,
    complaints: health.complaints,
    bounce_rate: health.bounceRate,
    complaint_rate: health.complaintRate,
    pause_bounce_rate: health.thresholds.bounceRate,
    pause_complaint_rate: health.thresholds.complaintRate,
    min_sent: health.thresholds.minSent,
  };
}
