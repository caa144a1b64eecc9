/**
 * What a receiving server would conclude about a delivered copy: mailauth's
 * DKIM, SPF and DMARC checks, with every lookup going to the demo's DNS
 * server (core/dns-resolver.ts pointed at it), never to the Internet.
 */
import { authenticate } from 'mailauth';
import { createDnsResolver } from '../../core/dns-resolver.js';
import type { DeliveredCopy } from './catch-all.js';

export interface CopyAuthentication {
  /** pass, fail, neutral, none... as mailauth reports them. */
  dkim: string;
  /** d= of the signature that was checked. */
  dkimDomain: string | undefined;
  spf: string;
  dmarc: string;
}

export async function authenticateCopy(copy: DeliveredCopy, options: { dnsAddress: string; clientIp: string; helo: string; mta: string }): Promise<CopyAuthentication> {
  const resolver = createDnsResolver([options.dnsAddress]);
  const result = await authenticate(copy.raw, {
    ip: options.clientIp,
    helo: options.helo,
    sender: copy.mailFrom,
    mta: options.mta,
    // mailauth takes node's answers as they come; its type names only the TXT shapes
    resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[]>,
  });
  const signature = result.dkim.results[0];
  return {
    dkim: signature?.status.result ?? 'none',
    dkimDomain: signature?.signingDomain,
    spf: result.spf ? result.spf.status.result : 'none',
    dmarc: result.dmarc ? result.dmarc.status.result : 'none',
  };
}
