/**
 * Built-in validate plugin: an account may send only from its own verified
 * domains. The envelope sender, From and (if present) Sender must all be on
 * one; the domain's defaults then fill the send options the message left unset.
 * Messages submitted from code without an account (DSNs) are not checked.
 */
import addressparser from 'nodemailer/lib/addressparser';
import type { DomainService } from '../core/domains/domains.js';
import type { DomainDefaults } from '../core/domains/domain-record.js';
import type { DeliveryOptions } from '../core/message.js';
import { definePlugin, verdict } from '../core/plugins/plugin-api.js';

/** Addresses in a header value (groups flattened). */
function headerAddresses(values: string[]): string[] {
  const addresses: string[] = [];
  const collect = (entries: ReturnType<typeof addressparser>): void => {
    for (const entry of entries) {
      if ('group' in entry && entry.group) collect(entry.group);
      else if ('address' in entry && entry.address) addresses.push(entry.address);
    }
  };
  for (const value of values) collect(addressparser(value.replace(/^[^:]*:/, '')));
  return addresses;
}

function domainPart(address: string): string {
  return address.slice(address.lastIndexOf('@') + 1).toLowerCase();
}

/** A send's own option wins; the domain default fills what it left unset. */
function withDefaults(options: DeliveryOptions, defaults: DomainDefaults): DeliveryOptions {
  return {
    ...options,
    ...(options.requireTls === undefined && defaults.require_tls !== undefined ? { requireTls: defaults.require_tls } : {}),
    ...(options.verifyCert === undefined && defaults.verify_cert !== undefined ? { verifyCert: defaults.verify_cert } : {}),
    ...(options.testMode === undefined && defaults.test_mode !== undefined ? { testMode: defaults.test_mode } : {}),
  };
}

export function createSenderDomainPlugin(domains: DomainService) {
  return definePlugin({
    name: 'sender-domain',
    register(api) {
      api.addHook(
        'message:validate',
        async (message) => {
          if (message.accountId === undefined) return verdict.continue();
          const fromHeader = headerAddresses(message.headers.get('from'));
          if (fromHeader.length === 0) return verdict.reject(550, '5.6.0', 'the From header has no address; give one on a verified domain');
          const senders = [message.from, ...fromHeader, ...headerAddresses(message.headers.get('sender'))].filter(Boolean);
          let fromDomainDefaults: DomainDefaults | undefined;
          for (const address of senders) {
            const domain = domainPart(address);
            const record = await domains.verifiedDomain(message.accountId, domain);
            if (!record) {
              return verdict.reject(
                550,
                '5.7.1',
                `${domain} is not a verified sending domain of this account: add it with POST /v1/domains, publish its dns_records, then POST /v1/domains/${domain}/verify`,
                'domain_not_verified',
              );
            }
            if (address === fromHeader[0]) fromDomainDefaults = record.defaults;
          }
          if (fromDomainDefaults) message.options = withDefaults(message.options, fromDomainDefaults);
          return verdict.continue();
        },
        { order: 20 },
      );
    },
  });
}
