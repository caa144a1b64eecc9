/**
 * The one way Outpost makes DNS lookups: node's resolver pointed at
 * OUTPOST_DNS_SERVERS (or the system's), with bounded timeouts. Every lookup
 * (MX, A/AAAA, TXT for SPF/DKIM/DMARC) goes through here, so tests and
 * deployments can point all of them at one server.
 */
import { promises as dns } from 'node:dns';

export type DnsResolver = dns.Resolver;

export function createDnsResolver(servers: string[]): DnsResolver {
  const resolver = new dns.Resolver({ timeout: 5_000, tries: 2 });
  if (servers.length > 0) resolver.setServers(servers);
  return resolver;
}

/** NXDOMAIN and NODATA are answers ("nothing there"); anything else is a failure to look up. */
export function isNoRecordsError(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOTFOUND' || code === 'ENODATA';
}

/** TXT records of `name` joined per record, or [] when there are none. */
export async function txtRecords(resolver: DnsResolver, name: string): Promise<string[]> {
  try {
    return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
  } catch (error) {
    if (isNoRecordsError(error)) return [];
    throw error;
  }
}
