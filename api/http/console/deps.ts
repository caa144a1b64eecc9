/**
 * What every console page module is given by the console (index.ts), and the
 * signed-in account of a page behind the `account` guard.
 */
import type Koa from 'koa';
import type { Intake } from '../../../core/intake.js';
import type { FormFields } from './form.js';
import type { ConsoleContext, ConsoleState, PageRenderer } from './render.js';
import type { ConsoleSessions } from './session.js';

export interface ConsolePageDeps {
  intake: Intake;
  sessions: ConsoleSessions;
  pages: PageRenderer;
  /** Lets only a signed-in account through (others go to the sign-in page). */
  account: Koa.Middleware<ConsoleState>;
  /** Lets only the admin through. */
  admin: Koa.Middleware<ConsoleState>;
  /** Reads a change's form and refuses it (403) without the session's CSRF token. */
  changeForm(ctx: ConsoleContext): Promise<FormFields>;
}

/** The signed-in account's id (pages behind `account`). */
export function accountIdOf(ctx: ConsoleContext): string {
  const identity = ctx.state.session?.identity;
  if (identity?.kind !== 'account') throw new Error('console page reached without an account session');
  return identity.accountId;
}
