/**
 * Checks a domain's published DNS records against what Outpost asked for, the
 * way a receiver would see them: the account's verification token must be
 * among the TXT values at its name, SPF is evaluated by mailauth for each sending
 * IP (10-lookup limit included), DKIM compares the published public key,
 * DMARC needs exactly one record with a p= tag, the return path needs its MX.
 * Every check says what was found and what is expected.
 */
import { spf } from 'mailauth';
import { isNoRecordsError, txtRecords, type DnsResolver } from '../dns-resolver.js';
import { publishedPublicKey } from './dkim-keys.js';
import type { DnsRecord, SendingIdentity } from './dns-records.js';
import type { RecordCheck } from './domain-record.js';
import { isOwnershipValue } from './ownership.js';

function check(record: DnsRecord, status: RecordCheck['status'], found: string[], reason?: string): RecordCheck {
  return { purpose: record.purpose, type: record.type, name: record.name, expected: record.value, status, found, ...(reason ? { reason } : {}) };
}

/** The IPs mail leaves from: OUTPOST_SENDING_IPS, or the addresses of OUTPOST_HOSTNAME. */
export async function sendingIpsOf(identity: SendingIdentity, resolver: DnsResolver): Promise<string[]> {
  if (identity.sendingIps.length > 0) return identity.sendingIps;
  const [v4, v6] = await Promise.allSettled([resolver.resolve4(identity.hostname), resolver.resolve6(identity.hostname)]);
  return [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
}

async function checkOwnership(record: DnsRecord, resolver: DnsResolver): Promise<RecordCheck> {
  const found = (await txtRecords(resolver, record.name)).filter(isOwnershipValue);
  if (found.includes(record.value)) return check(record, 'ok', found);
  if (found.length === 0) return check(record, 'missing', [], `no verification TXT at ${record.name}; publish the expected value: it proves this account controls the domain`);
  return check(record, 'wrong', found, `the verification values at ${record.name} are not this account's; add the expected value (several may be published side by side)`);
}

async function checkSpf(record: DnsRecord, ips: string[], identity: SendingIdentity, resolver: DnsResolver): Promise<RecordCheck> {
  const found = (await txtRecords(resolver, record.name)).filter((value) => /^v=spf1(\s|$)/i.test(value));
  if (found.length === 0) return check(record, 'missing', [], `no SPF record (TXT starting "v=spf1") at ${record.name}; publish the expected value`);
  if (found.length > 1) return check(record, 'wrong', found, `${found.length} SPF records at ${record.name}; receivers treat that as an error (RFC 7208 3.2): merge them into one`);
  if (ips.length === 0) return check(record, 'wrong', found, `no sending IP known to check against: set OUTPOST_SENDING_IPS or give ${identity.hostname} an A record`);
  for (const ip of ips) {
    const result = await spf({
      sender: `postmaster@${record.name}`,
      ip,
      helo: identity.hostname,
      mta: identity.hostname,
      // mailauth takes node's answers as they come (MX objects included); its type only names the TXT shapes
      resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[]>,
    });
    const verdict = result.status.result;
    if (verdict !== 'pass') {
      const detail = result.status.comment ? ` (${result.status.comment})` : '';
      return check(record, 'wrong', found, `SPF record does not authorise ${ip}: a receiver gets "${verdict}"${detail}; add the mechanisms of the expected value`);
    }
  }
  return check(record, 'ok', found);
}

async function checkDkim(record: DnsRecord, resolver: DnsResolver): Promise<RecordCheck> {
  const found = (await txtRecords(resolver, record.name)).filter((value) => /(^|;)\s*p\s*=/.test(value));
  if (found.length === 0) return check(record, 'missing', [], `no DKIM record at ${record.name}; publish the expected value`);
  const expectedKey = publishedPublicKey(record.value);
  if (!found.some((value) => publishedPublicKey(value) === expectedKey)) {
    return check(record, 'wrong', found, `DKIM key does not match: ${record.name} publishes a different public key; replace it with the expected value`);
  }
  return check(record, 'ok', found);
}

async function checkDmarc(record: DnsRecord, resolver: DnsResolver): Promise<RecordCheck> {
  const found = (await txtRecords(resolver, record.name)).filter((value) => /^v=DMARC1(\s*;|\s*$)/i.test(value));
  if (found.length === 0) return check(record, 'missing', [], `no DMARC record (TXT starting "v=DMARC1") at ${record.name}; publish the expected value`);
  if (found.length > 1) return check(record, 'wrong', found, `${found.length} DMARC records at ${record.name}; receivers ignore them all: keep one`);
  if (!/;\s*p\s*=\s*(none|quarantine|reject)\s*(;|$)/i.test(found[0]!)) {
    return check(record, 'wrong', found, 'DMARC record has no valid p= tag (none, quarantine or reject); add one, e.g. p=none');
  }
  return check(record, 'ok', found);
}

async function checkReturnPathMx(record: DnsRecord, resolver: DnsResolver): Promise<RecordCheck> {
  let exchanges: string[] = [];
  try {
    exchanges = (await resolver.resolveMx(record.name)).map((mx) => mx.exchange.toLowerCase());
  } catch (error) {
    if (!isNoRecordsError(error)) throw error;
  }
  if (exchanges.length === 0) return check(record, 'missing', [], `no MX record at ${record.name}; bounces could not reach Outpost: publish the expected value`);
  if (!exchanges.includes(record.value.toLowerCase())) {
    return check(record, 'wrong', exchanges, `MX of ${record.name} does not point to ${record.value}; bounces would go elsewhere`);
  }
  return check(record, 'ok', exchanges);
}

/** Checks every record; a DNS failure (not an answer) is reported per record, never thrown. */
export async function verifyRecords(records: DnsRecord[], identity: SendingIdentity, resolver: DnsResolver): Promise<RecordCheck[]> {
  const ips = await sendingIpsOf(identity, resolver);
  return Promise.all(
    records.map(async (record) => {
      try {
        switch (record.purpose) {
          case 'ownership':
            return await checkOwnership(record, resolver);
          case 'spf':
          case 'return_path_spf':
            return await checkSpf(record, ips, identity, resolver);
          case 'dkim':
            return await checkDkim(record, resolver);
          case 'dmarc':
            return await checkDmarc(record, resolver);
          case 'return_path_mx':
            return await checkReturnPathMx(record, resolver);
        }
      } catch (error) {
        return check(record, 'missing', [], `DNS lookup of ${record.name} failed (${(error as { code?: string }).code ?? (error as Error).message}); try again`);
      }
    }),
  );
}
