/**
 * The account's suppression list: search it, add an address, remove one.
 * Addresses are shown lower-cased, as the list keeps them.
 */
import type Router from '@koa/router';
import { bareAddressProblem } from '../../../../core/address.js';
import { outpostError } from '../../../../core/errors.js';
import { fieldOf } from '../form.js';
import { accountIdOf, type ConsolePageDeps } from '../deps.js';
import type { ConsoleState } from '../render.js';

/** Entries one page shows; a search narrows a longer list. */
const SHOWN = 200;

const REASONS: Readonly<Record<string, string>> = { hard_bounce: 'hard bounce', complaint: 'complaint', unsubscribe: 'unsubscribed', manual: 'added by hand' };

function checkedAddress(address: string): string {
  const problem = bareAddressProblem(address);
  if (problem) throw outpostError('invalid_request', `That is not an address Outpost sends to: ${problem}.`);
  return address;
}

export function registerSuppressionPages(router: Router<ConsoleState>, { intake, pages, account, changeForm }: ConsolePageDeps): void {
  router.get('/suppressions', account, async (ctx) => {
    const search = typeof ctx.query.q === 'string' ? ctx.query.q.trim().toLowerCase() : '';
    const all = await intake.suppressions.list(accountIdOf(ctx));
    const matching = search ? all.filter((entry) => entry.address.includes(search)) : all;
    pages.render(ctx, 'suppressions', {
      title: 'Suppressions',
      search,
      total: all.length,
      matching: matching.length,
      entries: matching.slice(0, SHOWN).map((entry) => ({ ...entry, reason: REASONS[entry.reason] ?? entry.reason })),
      shown: SHOWN,
    });
  });

  router.post('/suppressions', account, async (ctx) => {
    const form = await changeForm(ctx);
    await pages.refusalsBackTo(ctx, '/ui/suppressions', async () => {
      const { suppression, created } = await intake.suppressions.add(accountIdOf(ctx), checkedAddress(fieldOf(form, 'address')), 'manual');
      pages.redirect(ctx, '/ui/suppressions', { kind: 'ok', text: created ? `${suppression.address} is suppressed: no mail goes to it until it is removed.` : `${suppression.address} was already on the list.` });
    });
  });

  router.post('/suppressions/remove', account, async (ctx) => {
    const form = await changeForm(ctx);
    await pages.refusalsBackTo(ctx, '/ui/suppressions', async () => {
      const address = checkedAddress(fieldOf(form, 'address'));
      const removed = await intake.suppressions.remove(accountIdOf(ctx), address);
      pages.redirect(ctx, '/ui/suppressions', removed
        ? { kind: 'ok', text: `${address.toLowerCase()} was removed from the list: mail to it is sent again.` }
        : { kind: 'error', text: `${address.toLowerCase()} is not on the list.` });
    });
  });
}
