/**
 * Console sessions and CSRF tokens. Signing in with an API key (or the admin
 * key) starts a session: a random id in a cookie (HttpOnly, SameSite=Strict,
 * Secure when the console is served over HTTPS, limited to /ui), its record
 * in the shared store under the id's hash, so every node and worker knows it
 * and a copy of the store holds no usable id. The key itself is never kept,
 * nor put in a page or a URL: the session names the account instead, and ends
 * when that account's key is rotated elsewhere or the account is disabled.
 *
 * Every change is a POST carrying a CSRF token made from the session's secret
 * (@fastify/csrf: salted HMAC tokens); the sign-in form, before any session,
 * uses a secret in its own cookie the same way. SameSite=Strict already keeps
 * the cookies off requests from other sites; the token stands even where a
 * browser does not honour it.
 */
import { createHash, randomBytes } from 'node:crypto';
import Tokens from '@fastify/csrf';
import type Koa from 'koa';
import type { Intake } from '../../../core/intake.js';

/** Who signed in: an account (as of its key's last rotation), or the admin. */
export type ConsoleIdentity = { kind: 'account'; accountId: string; keyRotatedAt: number } | { kind: 'admin' };

export interface ConsoleSession {
  identity: ConsoleIdentity;
  csrfSecret: string;
  createdAt: number;
  expiresAt: number;
}

const SESSION_COOKIE = 'outpost_console';
const SIGN_IN_COOKIE = 'outpost_console_sign_in';
/** A session ends this long after sign-in, used or not: the console is for looking in, not for staying. */
const SESSION_MS = 12 * 3_600_000;

const tokens = Tokens();

const storeKey = (sessionId: string) => `console-session:${createHash('sha256').update(sessionId).digest('hex')}`;

export class ConsoleSessions {
  constructor(private readonly intake: Intake) {}

  /** Starts a session for `identity` (a fresh id each time, so one planted before sign-in is worthless). */
  async start(ctx: Koa.Context, identity: ConsoleIdentity): Promise<ConsoleSession> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const session: ConsoleSession = { identity, csrfSecret: tokens.secretSync(), createdAt: now, expiresAt: now + SESSION_MS };
    await this.intake.store.putWithTtl(storeKey(id), JSON.stringify(session), SESSION_MS);
    this.setCookie(ctx, SESSION_COOKIE, id, SESSION_MS);
    this.setCookie(ctx, SIGN_IN_COOKIE, '', 0);
    return session;
  }

  /** The request's session, if it has a live one whose identity still holds. */
  async current(ctx: Koa.Context): Promise<ConsoleSession | undefined> {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
    const stored = await this.intake.store.getTemporary(storeKey(id));
    if (stored === undefined) return undefined;
    const session = JSON.parse(stored) as ConsoleSession;
    if (session.expiresAt <= Date.now() || !(await this.stillHolds(session.identity))) {
      await this.end(ctx);
      return undefined;
    }
    return session;
  }

  /** Replaces the session's identity (the account rotated its key here), keeping its end. */
  async update(ctx: Koa.Context, session: ConsoleSession, identity: ConsoleIdentity): Promise<void> {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (!id) return;
    await this.intake.store.putWithTtl(storeKey(id), JSON.stringify({ ...session, identity }), Math.max(1, session.expiresAt - Date.now()));
  }

  async end(ctx: Koa.Context): Promise<void> {
    const id = ctx.cookies.get(SESSION_COOKIE);
    if (id) await this.intake.store.deleteTemporary(storeKey(id));
    this.setCookie(ctx, SESSION_COOKIE, '', 0);
  }

  /** A token for the session's forms. */
  csrfToken(session: ConsoleSession): string {
    return tokens.create(session.csrfSecret);
  }

  csrfValid(session: ConsoleSession, token: unknown): boolean {
    return typeof token === 'string' && tokens.verify(session.csrfSecret, token);
  }

  /** A token for the sign-in form, from a secret in its own cookie (set now when missing). */
  signInToken(ctx: Koa.Context): string {
    let secret = ctx.cookies.get(SIGN_IN_COOKIE);
    if (!secret || !/^[A-Za-z0-9_-]{16,64}$/.test(secret)) {
      secret = tokens.secretSync();
      this.setCookie(ctx, SIGN_IN_COOKIE, secret, SESSION_MS);
    }
    return tokens.create(secret);
  }

  signInTokenValid(ctx: Koa.Context, token: unknown): boolean {
    const secret = ctx.cookies.get(SIGN_IN_COOKIE);
    return typeof token === 'string' && secret !== undefined && tokens.verify(secret, token);
  }

  private async stillHolds(identity: ConsoleIdentity): Promise<boolean> {
    if (identity.kind === 'admin') return true;
    try {
      const account = await this.intake.accounts.get(identity.accountId);
      return account.status !== 'disabled' && account.keyRotatedAt === identity.keyRotatedAt;
    } catch {
      // deleted since
      return false;
    }
  }

  private setCookie(ctx: Koa.Context, name: string, value: string, maxAgeMs: number): void {
    setConsoleCookie(ctx, this.intake.config.publicUrl, name, value, maxAgeMs);
  }
}

/**
 * Sets (or, with `maxAgeMs` 0, clears) one of the console's cookies: HttpOnly,
 * SameSite=Strict, only for /ui, and Secure when the console is served over
 * HTTPS. This listener itself speaks plain HTTP, so that is when
 * OUTPOST_PUBLIC_URL says https (TLS ends at a proxy in front of it).
 */
export function setConsoleCookie(ctx: Koa.Context, publicUrl: string, name: string, value: string, maxAgeMs: number): void {
  const secure = ctx.secure || publicUrl.startsWith('https:');
  // the cookies module refuses a Secure cookie on what it takes for a plain connection; behind the proxy it is not
  if (secure) ctx.cookies.secure = true;
  ctx.cookies.set(name, value, { httpOnly: true, sameSite: 'strict', secure, path: '/ui', overwrite: true, ...(maxAgeMs > 0 ? { maxAge: maxAgeMs } : { expires: new Date(0) }) });
}
