/**
 * SMTP AUTH (PLAIN and LOGIN, offered only over TLS): the password is the
 * account's API key; the user name is free, except that a user name shaped
 * like an account id must name the key's own account. Every failure gets the
 * same reply after the same work (an unknown account costs the same hash as a
 * known one, see AccountService#authenticate), so replies and timing do not
 * tell which accounts exist. Failures are logged and throttled per client
 * address and per claimed account (auth-throttle.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { SMTPServerAuthentication, SMTPServerSession } from 'smtp-server';
import { accountIdInKey, isAccountId } from '../../core/intake.js';
import { outpostError, isOutpostError } from '../../core/errors.js';
import type { SubmissionContext } from './session-state.js';

const FAILED = 'authentication failed: the password must be an Outpost API key (the user name may be anything, or the account id)';

/** The account id an AUTH attempt claims, from the user name or the key's prefix; failures are also counted against it. */
function claimedAccountId(username: string, password: string): string | undefined {
  return isAccountId(username) ? username : accountIdInKey(password);
}

/** Resolves with the authenticated account id; throws the OutpostError to answer with (535, 454). */
export async function authenticateClient(context: SubmissionContext, auth: SMTPServerAuthentication, session: SMTPServerSession): Promise<string> {
  const intake = context.intake;
  if (!intake) throw outpostError('shutting_down');
  const username = auth.username ?? '';
  const password = auth.password ?? '';
  const ip = session.remoteAddress;
  const claimed = claimedAccountId(username, password);
  const addressKey = `ip:${ip}`;
  const accountKey = claimed ? `account:${claimed}` : undefined;
  const keys = [addressKey, ...(accountKey ? [accountKey] : [])];
  const log = { session: session.id, ip, method: auth.method, username: username.slice(0, 64) };
  const throttled = (lockedMs: number, whose: string) => {
    const minutes = Math.ceil(lockedMs / 60_000);
    context.logger.warn({ ...log, lockedMs, whose }, 'smtp submission: AUTH refused, locked out after repeated failures');
    return outpostError('auth_throttled', `too many failed AUTH attempts ${whose}; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`, { retryAfterSeconds: Math.ceil(lockedMs / 1000) });
  };

  // the guessing address is locked out outright; an account is never locked against its own key
  // (account ids are public in every key's prefix: a stranger could otherwise deny the key's holder)
  const addressLockedMs = await intake.authThrottle.lockedFor([addressKey]);
  if (addressLockedMs > 0) throw throttled(addressLockedMs, 'from this address');

  try {
    const account = await intake.accounts.authenticate(password);
    if (!isAccountId(username) || username === account.id) {
      context.logger.info({ ...log, accountId: account.id }, 'smtp submission: authenticated');
      return account.id;
    }
  } catch (error) {
    // a disabled account's key is a real key, not a guess: say so, but do not count it
    if (isOutpostError(error, 'forbidden')) throw outpostError('unauthorized', error.message);
    if (!(isOutpostError(error, 'unauthorized'))) throw error;
  }

  const accountLockedMs = accountKey ? await intake.authThrottle.lockedFor([accountKey]) : 0;
  const { delayMs, lockedOut } = await intake.authThrottle.recordFailure(keys);
  context.logger.warn({ ...log, claimedAccount: claimed, delayMs, lockedOut }, 'smtp submission: AUTH failed');
  if (delayMs > 0) await sleep(delayMs, undefined, { ref: false });
  // wrong keys for a locked account keep getting 454, so guesses spread over many addresses learn nothing
  if (accountLockedMs > 0) throw throttled(accountLockedMs, 'for this account');
  throw outpostError('unauthorized', FAILED);
}
