/**
 * An account ready to send over POST /v1/mail/send from any running Outpost
 * (in process or a child): creates the account with the test admin key and
 * gives it a verified sending domain whose records are published in the test
 * DNS server, so every send is DKIM-signed as in production.
 */
import type { DnsZone, TestDnsServer } from './dns-server.js';
import { addVerifiedDomain } from './domains.js';
import { createAccount, type HttpTarget } from './http.js';

export const SENDER_DOMAIN = 'acme.test';
export const SENDER = `sender@${SENDER_DOMAIN}`;

/** Zone entries a sending domain needs besides its own records: Outpost's name, which its SPF record points at. */
export const SENDING_ZONE: DnsZone = { 'outpost.test': { A: ['127.0.0.1'] } };

export interface RestSender {
  apiKey: string;
  accountId: string;
  /** Headers for POST /v1/mail/send. */
  headers: Record<string, string>;
}

export async function prepareRestSender(target: HttpTarget, dns: TestDnsServer, domain = SENDER_DOMAIN): Promise<RestSender> {
  for (const [name, records] of Object.entries(SENDING_ZONE)) if (!dns.zone[name]) dns.set(name, records);
  const account = await createAccount(target, `sender-${domain}`);
  await addVerifiedDomain(target, dns, account.apiKey, domain);
  return { apiKey: account.apiKey, accountId: account.id, headers: { authorization: `Bearer ${account.apiKey}` } };
}
