/**
 * The DNS records a sending domain must publish: the account's verification
 * token (proof that it controls the domain), SPF authorising Outpost's
 * sending IPs, the DKIM public key(s), a DMARC policy, and the return-path
 * domain `bounce.<domain>` (MX to Outpost for DSNs, its own SPF so the
 * envelope sender aligns with the From domain under relaxed DMARC alignment).
 */
import { dkimRecordValue } from './dkim-keys.js';
import type { DomainRecord } from './domain-record.js';
import { ownershipRecordName } from './ownership.js';

export interface DnsRecord {
  /** What the record is for: ownership, spf, dkim, dmarc, return_path_mx, return_path_spf. */
  purpose: 'ownership' | 'spf' | 'dkim' | 'dmarc' | 'return_path_mx' | 'return_path_spf';
  type: 'TXT' | 'MX';
  /** Fully qualified, no trailing dot. */
  name: string;
  value: string;
  priority?: number;
}

export interface SendingIdentity {
  /** OUTPOST_HOSTNAME: the MX of the return-path domain. */
  hostname: string;
  /** OUTPOST_SENDING_IPS; empty means "the A/AAAA records of hostname". */
  sendingIps: string[];
}

/** The SPF policy authorising Outpost; `~all` leaves the final say to DMARC. */
export function spfValue(identity: SendingIdentity): string {
  const mechanisms = identity.sendingIps.length > 0
    ? identity.sendingIps.map((ip) => (ip.includes(':') ? `ip6:${ip}` : `ip4:${ip}`))
    : [`a:${identity.hostname}`];
  return `v=spf1 ${mechanisms.join(' ')} ~all`;
}

/** A monitoring policy to start with (p=none); owners tighten it once reports look right. */
export function dmarcValue(domain: string): string {
  return `v=DMARC1; p=none; adkim=r; aspf=r; rua=mailto:dmarc-reports@${domain}`;
}

export function returnPathDomain(domain: string): string {
  return `bounce.${domain}`;
}

/** Every record `record`'s claim needs; `ownershipValue` is its account's token (OwnershipTokens). */
export function expectedRecords(record: DomainRecord, identity: SendingIdentity, ownershipValue: string): DnsRecord[] {
  const keys = [record.dkim.active, ...(record.dkim.next ? [record.dkim.next] : [])];
  return [
    { purpose: 'ownership', type: 'TXT', name: ownershipRecordName(record.domain), value: ownershipValue },
    { purpose: 'spf', type: 'TXT', name: record.domain, value: spfValue(identity) },
    ...keys.map((key): DnsRecord => ({ purpose: 'dkim', type: 'TXT', name: `${key.selector}._domainkey.${record.domain}`, value: dkimRecordValue(key) })),
    { purpose: 'dmarc', type: 'TXT', name: `_dmarc.${record.domain}`, value: dmarcValue(record.domain) },
    { purpose: 'return_path_mx', type: 'MX', name: returnPathDomain(record.domain), value: identity.hostname, priority: 10 },
    { purpose: 'return_path_spf', type: 'TXT', name: returnPathDomain(record.domain), value: spfValue(identity) },
  ];
}
