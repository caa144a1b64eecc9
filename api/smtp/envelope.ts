/**
 * MAIL FROM and RCPT TO of an authenticated submission. Outpost sends for its
 * accounts, never relays: the sender must be on one of the account's verified
 * domains, and addresses in the classic relay forms (percent hack, bang path,
 * source route, quoted local part; core/address.ts's relayFormOf, the rule REST
 * uses too) are refused even after AUTH, because every server on the way may
 * read them differently. Checked here, at the command,
 * so a client learns which address is wrong; the pipeline checks the same
 * again (and the From header) when the message is submitted.
 */
import { domainToASCII } from 'node:url';
import { envelopeAddressProblem } from '../../core/address.js';
import { isOutpostError, outpostError } from '../../core/errors.js';
import type { Intake } from '../../core/intake.js';
import type { SubmissionContext } from './session-state.js';

/**
 * The address with its domain as an A-label: smtp-server turns `xn--` domains into
 * Unicode, but DNS, verified domains and DKIM all work on the ASCII form.
 */
export function envelopeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  if (at < 1) return address;
  const domain = address.slice(at + 1);
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(domain)) return address;
  return `${address.slice(0, at)}@${domainToASCII(domain) || domain}`;
}

/**
 * Checks MAIL FROM for the account `accountId`, authenticated with `apiKey`; throws the
 * OutpostError to answer with. The key is checked again for every transaction.
 */
export async function checkSender(context: SubmissionContext, accountId: string | undefined, apiKey: string | undefined, rawAddress: string): Promise<void> {
  if (!accountId || apiKey === undefined) throw outpostError('auth_required', 'authenticate first (AUTH PLAIN or LOGIN, with your API key as the password)');
  if (rawAddress === '') {
    throw outpostError('sender_address_refused', 'the null sender <> is for bounces; give the sender address, on one of your verified domains');
  }
  const address = envelopeAddress(rawAddress);
  const problem = envelopeAddressProblem(address);
  if (problem) throw outpostError('sender_address_refused', `sender ${problem}`);
  const intake = context.intake;
  if (!intake) throw outpostError('shutting_down');
  await reauthenticate(intake, accountId, apiKey);
  // before the body is sent, as REST checks before reading it; the send rate limit is REST's too
  await intake.countSend(accountId);
  intake.checkQueueRoom();
  await intake.requireVerifiedSender(accountId, address);
}

/**
 * The session's key must still open its account: a rotated key or a deleted account gets
 * 535, a disabled account its own 550 (authenticate's forbidden, which says so).
 */
async function reauthenticate(intake: Intake, accountId: string, apiKey: string): Promise<void> {
  try {
    const account = await intake.accounts.authenticate(apiKey);
    if (account.id === accountId) return;
  } catch (error) {
    if (!isOutpostError(error, 'unauthorized')) throw error;
  }
  throw outpostError('unauthorized', 'the key this session authenticated with no longer opens its account (rotated, or the account was deleted); nothing was sent: authenticate again with a current key');
}

/** Checks one RCPT TO; throws the OutpostError to answer with. */
export function checkRecipient(rawAddress: string): void {
  const problem = envelopeAddressProblem(envelopeAddress(rawAddress));
  if (problem) throw outpostError('recipient_address_refused', `recipient ${problem}`);
}
