/**
 * The web console at /ui on the HTTP listener (OUTPOST_CONSOLE=off leaves it
 * out): server-rendered pages over the same Intake the REST routes use, so an
 * account sees exactly what its API key would, and nothing of another's.
 * Every response carries the security headers; every change is a POST behind
 * a session and its CSRF token; errors are pages, not JSON.
 *
 *   /ui/assets/:name   allow-listed static files (assets.ts)
 *   /ui/sign-in        sign in with an API key or the admin key
 *   /ui, /ui/...       an account's pages (pages/*), or the admin's accounts page
 */
import Router from '@koa/router';
import type Koa from 'koa';
import { isOutpostError } from '../../../core/errors.js';
import type { Intake } from '../../../core/intake.js';
import { loadAssets } from './assets.js';
import type { ConsolePageDeps } from './deps.js';
import { readForm } from './form.js';
import { registerAccountPages } from './pages/accounts.js';
import { registerApiKeyPages } from './pages/api-key.js';
import { registerDomainPages } from './pages/domains.js';
import { registerMessagePages } from './pages/messages.js';
import { registerOverviewPage } from './pages/overview.js';
import { registerSignInPages } from './pages/sign-in.js';
import { registerSuppressionPages } from './pages/suppressions.js';
import { registerWebhookPages } from './pages/webhooks.js';
import { PageRenderer, type ConsoleContext, type ConsoleState } from './render.js';
import { securityHeaders } from './security.js';
import { ConsoleSessions } from './session.js';

/** The console as one middleware: it answers /ui and everything below it, and passes any other path on. */
export function consoleMiddleware(intake: Intake): Koa.Middleware {
  const assets = loadAssets();
  const sessions = new ConsoleSessions(intake);
  const pages = new PageRenderer(sessions, intake.config.publicUrl);
  const router = new Router<ConsoleState>({ prefix: '/ui' });

  router.get('/assets/:name', (ctx) => {
    const asset = assets.get(ctx.params.name!);
    if (!asset) throw Object.assign(new Error('There is no such file in the console.'), { status: 404 });
    ctx.set('ETag', asset.etag);
    ctx.set('Cache-Control', 'no-cache');
    ctx.type = asset.type;
    ctx.status = 200;
    if (ctx.fresh) ctx.status = 304;
    else ctx.body = asset.body;
  });

  const signedIn = (kind: 'account' | 'admin'): Koa.Middleware<ConsoleState> => async (ctx, next) => {
    const session = await sessions.current(ctx);
    if (!session) {
      ctx.status = 303;
      ctx.redirect('/ui/sign-in');
      return;
    }
    ctx.state.session = session;
    if (session.identity.kind !== kind) {
      // the other kind's home
      ctx.status = 303;
      ctx.redirect(session.identity.kind === 'admin' ? '/ui/accounts' : '/ui');
      return;
    }
    if (session.identity.kind === 'account') ctx.state.accountName = (await intake.accounts.get(session.identity.accountId)).name;
    await next();
  };

  const deps: ConsolePageDeps = {
    intake,
    sessions,
    pages,
    account: signedIn('account'),
    admin: signedIn('admin'),
    async changeForm(ctx) {
      const form = await readForm(ctx);
      const session = ctx.state.session;
      if (!session || !sessions.csrfValid(session, form.get('_csrf')?.[0])) {
        throw Object.assign(new Error('this form is out of date or did not come from the console (no valid CSRF token); open the page again and retry'), { status: 403 });
      }
      return form;
    },
  };
  registerSignInPages(router, deps);
  registerOverviewPage(router, deps);
  registerDomainPages(router, deps);
  registerMessagePages(router, deps);
  registerSuppressionPages(router, deps);
  registerWebhookPages(router, deps);
  registerApiKeyPages(router, deps);
  registerAccountPages(router, deps);

  const routes = router.routes();
  const headers = securityHeaders();
  return async (ctx, next) => {
    if (ctx.path !== '/ui' && !ctx.path.startsWith('/ui/')) return next();
    await headers(ctx, async () => {
      try {
        await routes(ctx as ConsoleContext, async () => {
          pages.render(ctx as ConsoleContext, 'error', { title: 'Not found', message: 'There is no such page in the console.' }, 404);
        });
      } catch (error) {
        const failure = error as Error & { status?: number };
        if (isOutpostError(error)) {
          pages.render(ctx as ConsoleContext, 'error', { title: 'That did not work', message: error.message }, error.httpStatus);
        } else if (typeof failure.status === 'number' && failure.status >= 400 && failure.status < 500) {
          pages.render(ctx as ConsoleContext, 'error', { title: failure.status === 403 ? 'Refused' : 'That did not work', message: failure.message }, failure.status);
        } else {
          intake.logger.error({ err: error, path: ctx.path }, 'console page failed');
          pages.render(ctx as ConsoleContext, 'error', { title: 'Something went wrong', message: 'The page could not be shown; the error is in the server log.' }, 500);
        }
      }
    });
  };
}
