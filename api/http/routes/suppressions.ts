/**
 * The account's suppression list (account key): list it, add an address, look
 * one up, remove one. Addresses are compared case-insensitively and shown
 * lower-cased; an address already on the list keeps its first entry (POST then
 * answers 200 with it instead of 201).
 */
import type Router from '@koa/router';
import { z } from 'zod';
import { outpostError } from '../../../core/errors.js';
import type { Suppression } from '../../../core/intake.js';
import { accountIdOf, requireAccount } from '../auth.js';
import { readJson } from '../body.js';
import { bareAddressProblem } from '../send/addresses.js';
import type { Intake } from '../../../core/intake.js';
import type { ApiState } from '../auth.js';
import { parseBody } from '../validation.js';
import type { SuppressionJson } from '../views/suppression.js';

export const CreateSuppressionBody = z.strictObject({ address: z.string().min(1).max(320) });

export function suppressionJson(suppression: Suppression): SuppressionJson {
  return { address: suppression.address, reason: suppression.reason, created_at: new Date(suppression.createdAt).toISOString() };
}

/** The address of a request, or a 400 naming `field` with the problem. */
function checkedAddress(address: string, field: string): string {
  const problem = bareAddressProblem(address);
  if (problem) throw outpostError('invalid_request', `${field}: ${problem}`, { details: [{ field, problem }] });
  return address;
}

const NOT_LISTED = 'that address is not on this account\'s suppression list; GET /v1/suppressions shows the list';

export function registerSuppressionRoutes(router: Router<ApiState>, intake: Intake): void {
  const account = requireAccount(intake);
  const { suppressions } = intake;

  router.get('/v1/suppressions', account, async (ctx) => {
    ctx.body = { items: (await suppressions.list(accountIdOf(ctx))).map(suppressionJson) };
  });

  router.post('/v1/suppressions', account, async (ctx) => {
    const body = parseBody(CreateSuppressionBody, await readJson(ctx, 4096));
    const { suppression, created } = await suppressions.add(accountIdOf(ctx), checkedAddress(body.address, 'address'), 'manual');
    ctx.status = created ? 201 : 200;
    ctx.body = suppressionJson(suppression);
  });

  router.get('/v1/suppressions/:address', account, async (ctx) => {
    const suppression = await suppressions.find(accountIdOf(ctx), checkedAddress(ctx.params.address!, 'address'));
    if (!suppression) throw outpostError('not_found', NOT_LISTED);
    ctx.body = suppressionJson(suppression);
  });

  router.delete('/v1/suppressions/:address', account, async (ctx) => {
    if (!(await suppressions.remove(accountIdOf(ctx), checkedAddress(ctx.params.address!, 'address')))) throw outpostError('not_found', NOT_LISTED);
    ctx.status = 204;
  });
}
