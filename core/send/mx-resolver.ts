/**
 * Finds where mail for a domain goes: MX hosts in preference order (random
 * among equal preferences, RFC 5321 5.1), each with its addresses; the domain
 * itself when it has no MX (implicit MX); nowhere for a null MX (RFC 7505).
 * Every lookup goes through OUTPOST_DNS_SERVERS. Addresses outside public space
 * are dropped here unless private targets are allowed.
 */
import { createDnsResolver, isNoRecordsError, type DnsResolver } from '../dns-resolver.js';
import { outpostError, type ErrorCode, type OutpostError } from '../errors.js';
import { nonPublicRangeOf } from '../private-targets.js';

export interface MxHost {
  /** Host name as published in the MX record (or the domain for an implicit MX). */
  exchange: string;
  priority: number;
  /** Addresses to try, IPv4 first. */
  addresses: string[];
}

/** Where to deliver, or why nowhere: an error of the registry whose reply class says bounce (5xx) or defer (4xx). */
export type Route = { kind: 'hosts'; hosts: MxHost[] } | { kind: 'failed'; error: OutpostError };

function failed(code: ErrorCode, reason: string): Route {
  return { kind: 'failed', error: outpostError(code, reason) };
}

interface DnsFailure {
  code?: string;
}

export interface MxResolverOptions {
  dnsServers: string[];
  allowPrivateTargets: boolean;
  cacheMs: number;
  now: () => number;
}

export class MxResolver {
  private readonly resolver: DnsResolver;
  private readonly cache = new Map<string, { route: Route; expires: number }>();

  constructor(private readonly options: MxResolverOptions) {
    this.resolver = createDnsResolver(options.dnsServers);
  }

  /** The route for `domain`; successful and permanent answers are cached briefly. */
  async routeFor(domain: string): Promise<Route> {
    const cached = this.cache.get(domain);
    if (cached && cached.expires > this.options.now()) return cached.route;
    const route = await this.lookUp(domain);
    // a lookup that failed for now is asked again next time; answers (hosts, or a domain that takes no mail) are kept
    if (route.kind === 'hosts' || route.error.smtpReply().code >= 500) this.cache.set(domain, { route, expires: this.options.now() + this.options.cacheMs });
    return route;
  }

  private async lookUp(domain: string): Promise<Route> {
    let records: { exchange: string; priority: number }[];
    let implicit = false;
    try {
      records = await this.resolver.resolveMx(domain);
    } catch (error) {
      const code = (error as DnsFailure).code;
      if (code === 'ENOTFOUND') return failed('destination_not_found', `domain ${domain} does not exist (NXDOMAIN)`);
      if (code !== 'ENODATA') return failed('destination_lookup_failed', `MX lookup for ${domain} failed (${code ?? 'error'})`);
      records = [{ exchange: domain, priority: 0 }];
      implicit = true;
    }
    if (records.some((record) => record.exchange === '' || record.exchange === '.')) {
      return failed('destination_refuses_mail', `${domain} does not accept mail (null MX, RFC 7505)`);
    }
    if (records.length === 0) return failed('destination_not_found', `${domain} has an empty MX set`);

    const hosts: MxHost[] = [];
    const problems: string[] = [];
    let lookupFailed = false;
    for (const record of orderByPreference(records)) {
      const found = await this.addressesOf(record.exchange);
      if (found.failed) lookupFailed = true;
      const allowed = found.addresses.filter((ip) => {
        const range = this.options.allowPrivateTargets ? undefined : nonPublicRangeOf(ip);
        if (range) problems.push(`${record.exchange} resolves to ${ip} (${range})`);
        return range === undefined;
      });
      if (found.addresses.length === 0) problems.push(`${record.exchange} has no A/AAAA record${found.failed ? ' (lookup failed)' : ''}`);
      if (allowed.length > 0) hosts.push({ exchange: record.exchange, priority: record.priority, addresses: allowed });
    }
    if (hosts.length > 0) return { kind: 'hosts', hosts };
    if (lookupFailed) return failed('destination_lookup_failed', problems.join('; '));
    if (implicit && problems.every((problem) => problem.includes('no A/AAAA'))) {
      return failed('destination_not_found', `${domain} has no MX and no A/AAAA record`);
    }
    const privateRefusal = problems.some((problem) => problem.includes(' resolves to '));
    return failed(
      'destination_unusable',
      privateRefusal ? `${problems.join('; ')}: refused because OUTPOST_ALLOW_PRIVATE_TARGETS is false` : `no usable mail host for ${domain}: ${problems.join('; ')}`,
    );
  }

  private async addressesOf(host: string): Promise<{ addresses: string[]; failed: boolean }> {
    const [v4, v6] = await Promise.allSettled([this.resolver.resolve4(host), this.resolver.resolve6(host)]);
    const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
    const failed = [v4, v6].some((result) => result.status === 'rejected' && !isNoRecordsError(result.reason));
    return { addresses, failed };
  }
}

/** Lowest preference first; equal preferences shuffled to spread load (RFC 5321 5.1). */
function orderByPreference<T extends { priority: number }>(records: T[]): T[] {
  return records
    .map((record) => ({ record, tiebreak: Math.random() }))
    .sort((a, b) => a.record.priority - b.record.priority || a.tiebreak - b.tiebreak)
    .map(({ record }) => record);
}
