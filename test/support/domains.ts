/**
 * Gives a test account a verified sending domain: adds it over the API,
 * publishes the records Outpost asks for in the test DNS server (the account's
 * verification token among them), verifies it.
 */
import type { DnsRecords, TestDnsServer } from './dns-server.js';
import { request, type HttpTarget } from './http.js';

interface DomainRecordsView {
  status: string;
  dns_records: { type: 'TXT' | 'MX'; name: string; value: string; priority?: number }[];
}

/**
 * Publishes every record of a domain view in the test DNS, replacing TXT values
 * of the same kind (`v=spf1`, `v=DMARC1`): verification tokens differ from the
 * first word, so several accounts' tokens stand side by side, as in real DNS.
 */
export function publishRecords(dns: TestDnsServer, view: DomainRecordsView): void {
  const byName = new Map<string, DnsRecords>();
  for (const record of view.dns_records) {
    const entry = byName.get(record.name) ?? { ...(dns.zone[record.name] ?? {}) };
    if (record.type === 'MX') entry.MX = [{ exchange: record.value, priority: record.priority ?? 10 }];
    else entry.TXT = [...(entry.TXT ?? []).filter((value) => value.split(/[\s;]/)[0] !== record.value.split(/[\s;]/)[0]), record.value];
    byName.set(record.name, entry);
  }
  for (const [name, records] of byName) dns.set(name, records);
}

/** Adds, publishes and verifies `domain` for the account of `apiKey`. */
export async function addVerifiedDomain(outpost: HttpTarget, dns: TestDnsServer, apiKey: string, domain: string): Promise<void> {
  const added = await request<DomainRecordsView>(outpost, 'POST', '/v1/domains', { key: apiKey, json: { domain } });
  if (added.status !== 201) throw new Error(`adding ${domain} failed: ${added.status} ${JSON.stringify(added.body)}`);
  publishRecords(dns, added.body);
  const verified = await request<DomainRecordsView>(outpost, 'POST', `/v1/domains/${domain}/verify`, { key: apiKey });
  if (verified.body.status !== 'verified') throw new Error(`${domain} did not verify: ${JSON.stringify(verified.body)}`);
}
