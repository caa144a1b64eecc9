/**
 * The admin's page: every account with its status, creating one (its key is
 * shown once, in the answer), disabling, enabling and resuming a paused one.
 */
import type Router from '@koa/router';
import { fieldOf } from '../form.js';
import type { ConsolePageDeps } from '../deps.js';
import type { ConsoleContext, ConsoleState } from '../render.js';

const STATUS_CHANGES: Readonly<Record<string, { status: 'active' | 'disabled'; done: string }>> = {
  disable: { status: 'disabled', done: 'is disabled: its key, sessions and mail are refused' },
  enable: { status: 'active', done: 'is enabled again' },
  resume: { status: 'active', done: 'sends again (its rates are what they were)' },
};

export function registerAccountPages(router: Router<ConsoleState>, { intake, pages, admin, changeForm }: ConsolePageDeps): void {
  const showList = async (ctx: ConsoleContext, created?: { name: string; apiKey: string }) => {
    pages.render(ctx, 'accounts', { title: 'Accounts', accounts: await intake.accounts.list(), created }, created ? 201 : 200);
  };

  router.get('/accounts', admin, (ctx) => showList(ctx));

  router.post('/accounts', admin, async (ctx) => {
    const form = await changeForm(ctx);
    await pages.refusalsBackTo(ctx, '/ui/accounts', async () => {
      const { account, apiKey } = await intake.accounts.create(fieldOf(form, 'name'));
      await showList(ctx, { name: account.name, apiKey });
    });
  });

  router.post('/accounts/:id/status', admin, async (ctx) => {
    const form = await changeForm(ctx);
    const change = STATUS_CHANGES[fieldOf(form, 'action')];
    if (!change) throw Object.assign(new Error('unknown account action'), { status: 400 });
    const account = await intake.accounts.setStatus(ctx.params.id!, change.status);
    pages.redirect(ctx, '/ui/accounts', { kind: 'ok', text: `${account.name} ${change.done}.` });
  });
}
