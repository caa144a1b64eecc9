/**
 * Server-rendered console pages: Eta templates (views/*.eta, escaped by
 * default; nothing is inserted unescaped but other templates' output), the
 * layout every page shares (navigation, who is signed in, the notice left by
 * the last change), and the redirect after a change (post/redirect/get, with
 * its notice in a short-lived cookie, never in the URL).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RouterContext } from '@koa/router';
import { Eta } from 'eta';
import { isOutpostError } from '../../../core/errors.js';
import { setConsoleCookie, type ConsoleSession, type ConsoleSessions } from './session.js';

const eta = new Eta({ views: path.join(path.dirname(fileURLToPath(import.meta.url)), 'views'), cache: true, autoEscape: true });

/** What the console's middleware leaves on ctx.state. */
export interface ConsoleState {
  session?: ConsoleSession;
  /** The signed-in account's name (account sessions). */
  accountName?: string;
}

export type ConsoleContext = RouterContext<ConsoleState>;

/** A notice shown once, on the page a change redirects to. */
export interface Notice {
  kind: 'ok' | 'error';
  text: string;
}

const NOTICE_COOKIE = 'outpost_console_notice';

interface NavItem {
  href: string;
  label: string;
}

const ACCOUNT_NAV: readonly NavItem[] = [
  { href: '/ui', label: 'Overview' },
  { href: '/ui/domains', label: 'Domains' },
  { href: '/ui/messages', label: 'Messages' },
  { href: '/ui/suppressions', label: 'Suppressions' },
  { href: '/ui/webhooks', label: 'Webhooks' },
  { href: '/ui/api-key', label: 'API key' },
];
const ADMIN_NAV: readonly NavItem[] = [{ href: '/ui/accounts', label: 'Accounts' }];

const timeFormat = new Intl.DateTimeFormat('en-GB', { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'UTC', hour12: false });

/** Formatting the templates share. */
export const format = {
  /** A time people read (UTC, said so). */
  time: (at: number | string) => `${timeFormat.format(new Date(at))} UTC`,
  iso: (at: number | string) => new Date(at).toISOString(),
  percent: (rate: number) => `${(rate * 100).toFixed(2).replace(/\.?0+$/, '')}%`,
  count: (value: number) => value.toLocaleString('en-US'),
};

export class PageRenderer {
  constructor(
    private readonly sessions: ConsoleSessions,
    private readonly publicUrl: string,
  ) {}

  /** Renders `view` inside the layout, with the navigation, the CSRF token and the pending notice. */
  render(ctx: ConsoleContext, view: string, data: { title: string } & Record<string, unknown>, status = 200): void {
    const session = ctx.state.session;
    const nav = session === undefined ? [] : session.identity.kind === 'admin' ? ADMIN_NAV : ACCOUNT_NAV;
    const current = nav.filter((item) => ctx.path === item.href || (item.href !== '/ui' && ctx.path.startsWith(`${item.href}/`))).at(-1);
    ctx.status = status;
    ctx.type = 'html';
    ctx.set('Cache-Control', 'no-store');
    ctx.body = eta.render(view, {
      ...data,
      nav: nav.map((item) => ({ ...item, current: item === current })),
      signedInAs: session === undefined ? undefined : session.identity.kind === 'admin' ? 'admin' : (ctx.state.accountName ?? 'account'),
      csrf: session === undefined ? undefined : this.sessions.csrfToken(session),
      notice: this.takeNotice(ctx),
      format,
    });
  }

  /** Redirects (303: the browser GETs the page) after a change, leaving `notice` for the page. */
  redirect(ctx: ConsoleContext, location: string, notice?: Notice): void {
    if (notice) setConsoleCookie(ctx, this.publicUrl, NOTICE_COOKIE, Buffer.from(JSON.stringify(notice)).toString('base64url'), 60_000);
    ctx.status = 303;
    ctx.redirect(location);
  }

  /**
   * Runs a change; when Outpost refuses it (bad input, a conflict: a 4xx with a
   * message meant for people), goes back to `page` with that message as the
   * notice, so the form is at hand again, instead of an error page.
   */
  async refusalsBackTo(ctx: ConsoleContext, page: string, change: () => Promise<void>): Promise<void> {
    try {
      await change();
    } catch (error) {
      if (!isOutpostError(error) || error.httpStatus < 400 || error.httpStatus >= 500 || error.httpStatus === 401 || error.httpStatus === 403) throw error;
      this.redirect(ctx, page, { kind: 'error', text: error.message });
    }
  }

  private takeNotice(ctx: ConsoleContext): Notice | undefined {
    const stored = ctx.cookies.get(NOTICE_COOKIE);
    if (!stored) return undefined;
    setConsoleCookie(ctx, this.publicUrl, NOTICE_COOKIE, '', 0);
    try {
      const notice = JSON.parse(Buffer.from(stored, 'base64url').toString()) as Partial<Notice>;
      return (notice.kind === 'ok' || notice.kind === 'error') && typeof notice.text === 'string' ? { kind: notice.kind, text: notice.text.slice(0, 500) } : undefined;
    } catch {
      return undefined;
    }
  }
}
