/**
 * Bearer-key authentication: the admin key for /v1/accounts, an account's API
 * key everywhere else. The account id goes on ctx.state for every route to
 * scope its reads and writes.
 */
import type Koa from 'koa';
import { isAdminKey } from '../../core/accounts/admin-key.js';
import { ForbiddenError, UnauthorizedError } from '../../core/errors.js';
import type { ApiServices, ApiState } from './services.js';

function bearerToken(ctx: Koa.Context): string {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
  if (!match) throw new UnauthorizedError('missing API key; send the header Authorization: Bearer <key>');
  return match[1]!;
}

export function requireAdmin(services: ApiServices): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    if (!isAdminKey(bearerToken(ctx), services.adminKey)) {
      throw new ForbiddenError('this endpoint needs the admin key (OUTPOST_ADMIN_KEY, or the data dir\'s admin.key)');
    }
    await next();
  };
}

export function requireAccount(services: ApiServices): Koa.Middleware<ApiState> {
  return async (ctx, next) => {
    const account = await services.accounts.authenticate(bearerToken(ctx));
    ctx.state.accountId = account.id;
    await next();
  };
}

/** The authenticated account's id (routes behind requireAccount). */
export function accountIdOf(ctx: { state: ApiState }): string {
  const id = ctx.state.accountId;
  if (!id) throw new UnauthorizedError('not authenticated');
  return id;
}
