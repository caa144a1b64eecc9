/**
 * The account's API key: when it was last rotated, and rotating it. The new
 * key is shown once, in the answer to the rotation, and the old one stops
 * working at once; this session goes on, every other session of the account
 * ends (it was opened with the old key).
 */
import type Router from '@koa/router';
import { accountIdOf, type ConsolePageDeps } from '../deps.js';
import type { ConsoleState } from '../render.js';

export function registerApiKeyPages(router: Router<ConsoleState>, { intake, sessions, pages, account, changeForm }: ConsolePageDeps): void {
  router.get('/api-key', account, async (ctx) => {
    const current = await intake.accounts.get(accountIdOf(ctx));
    pages.render(ctx, 'api-key', { title: 'API key', account: current });
  });

  router.post('/api-key/rotate', account, async (ctx) => {
    await changeForm(ctx);
    const { account: rotated, apiKey } = await intake.accounts.rotateKey(accountIdOf(ctx));
    await sessions.update(ctx, ctx.state.session!, { kind: 'account', accountId: rotated.id, keyRotatedAt: rotated.keyRotatedAt });
    pages.render(ctx, 'api-key', { title: 'API key', account: rotated, newKey: apiKey });
  });
}
