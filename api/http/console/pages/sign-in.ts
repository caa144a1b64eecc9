/**
 * Signing in and out. The key is posted once, checked like an SMTP AUTH
 * password (same failed-attempt throttle per client address and per claimed
 * account, shared with SMTP submission, so guessing here gains nothing), and
 * never kept: the session names the account. The admin key opens the
 * accounts page instead of an account's.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type Router from '@koa/router';
import { isOutpostError } from '../../../../core/errors.js';
import { accountIdInKey } from '../../../../core/intake.js';
import { fieldOf, readForm } from '../form.js';
import type { ConsolePageDeps } from '../deps.js';
import type { ConsoleContext, ConsoleState } from '../render.js';

const NOT_ACCEPTED = 'That key was not accepted. Paste an account\'s API key (op_...) or the admin key.';

export function registerSignInPages(router: Router<ConsoleState>, { intake, sessions, pages }: ConsolePageDeps): void {
  const showForm = (ctx: ConsoleContext, status = 200, error?: string) =>
    pages.render(ctx, 'sign-in', { title: 'Sign in', signInToken: sessions.signInToken(ctx), error }, status);

  router.get('/sign-in', async (ctx) => {
    const session = await sessions.current(ctx);
    if (session) return pages.redirect(ctx, session.identity.kind === 'admin' ? '/ui/accounts' : '/ui');
    showForm(ctx);
  });

  router.post('/sign-in', async (ctx) => {
    const form = await readForm(ctx);
    if (!sessions.signInTokenValid(ctx, fieldOf(form, '_csrf'))) return showForm(ctx, 403, 'The sign-in form was out of date. Please sign in again.');
    const key = fieldOf(form, 'key');
    const addressKey = `ip:${ctx.ip}`;
    const claimed = accountIdInKey(key);
    const lockedMs = await intake.authThrottle.lockedFor([addressKey]);
    if (lockedMs > 0) return showForm(ctx, 429, `Too many failed sign-ins from this address; try again in ${Math.ceil(lockedMs / 60_000)} minutes.`);

    if (key !== '' && intake.isAdminKey(key)) {
      await sessions.start(ctx, { kind: 'admin' });
      return pages.redirect(ctx, '/ui/accounts');
    }
    try {
      const account = await intake.accounts.authenticate(key);
      await sessions.start(ctx, { kind: 'account', accountId: account.id, keyRotatedAt: account.keyRotatedAt });
      return pages.redirect(ctx, '/ui');
    } catch (error) {
      // a disabled account's key is a real key, not a guess: say so, but do not count it
      if (isOutpostError(error, 'forbidden')) return showForm(ctx, 403, error.message);
      if (!isOutpostError(error, 'unauthorized')) throw error;
    }
    const { delayMs } = await intake.authThrottle.recordFailure([addressKey, ...(claimed ? [`account:${claimed}`] : [])]);
    intake.logger.warn({ ip: ctx.ip, claimedAccount: claimed, delayMs }, 'console: sign-in failed');
    if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
    showForm(ctx, 401, NOT_ACCEPTED);
  });

  router.post('/sign-out', async (ctx) => {
    const session = await sessions.current(ctx);
    const form = await readForm(ctx);
    if (!session) return pages.redirect(ctx, '/ui/sign-in');
    // signing out needs the token too: a page elsewhere must not end the session
    if (!sessions.csrfValid(session, fieldOf(form, '_csrf'))) throw Object.assign(new Error('sign-out refused: no valid CSRF token; use the Sign out button'), { status: 403 });
    await sessions.end(ctx);
    pages.redirect(ctx, '/ui/sign-in', { kind: 'ok', text: 'Signed out.' });
  });
}
