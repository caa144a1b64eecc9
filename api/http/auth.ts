/**
 * Bearer-key authentication: the admin key for /v1/accounts, an account's API
 * key everywhere else. The account id goes on ctx.state for every route to
 * scope its reads and writes.
 */
import type Koa from 'koa';
import { outpostError } from '../../core/errors.js';
import type { Intake } from '../../core/intake.js';

/** What authentication leaves on ctx.state. */
export interface ApiState {
  accountId?: string;
}

function bearerToken(ctx: Koa.Context): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
  if (!match) throw outpostError('unauthorized', 'missing API key; send the header Authorization: Bearer <key>');
  return match[1]!;
}

export function requireAdmin(intake: Intake): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    if (!intake.isAdminKey(bearerToken(ctx))) {
      throw outpostError('forbidden', 'this endpoint needs the admin key (OUTPOST_ADMIN_KEY, or the data dir\'s admin.key)');
    }
    await next();
  };
}

export function requireAccount(intake: Intake): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    const account = await intake.accounts.authenticate(bearerToken(ctx));
    ctx.state.accountId = account.id;
    await next();
  };
}

/** The authenticated account's id (routes behind requireAccount). */
export function accountIdOf(ctx: { state: ApiState }): string {
  const id = ctx.state.accountId;
  if (!id) throw outpostError('unauthorized', 'not authenticated');
  return id;
}
