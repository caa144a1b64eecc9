/**
 * The facades a PluginApi carries, built once from the core's services: each
 * hands a plugin exactly what the built-ins need (a verified domain and a way to
 * sign with its key, an account's name and status, suppression look-up and add,
 * webhook publishing) and nothing more: no store, no sealed key, no API key hash.
 * Values are copies or frozen, so a plugin cannot change core state by mutation.
 */
import type { Logger } from 'pino';
import type { AccountService } from '../accounts/accounts.js';
import type { ReturnPathTokens } from '../bounces/return-path.js';
import { dkimSignature } from '../domains/dkim-signer.js';
import type { DomainRecord, ScanSettings } from '../domains/domain-record.js';
import { returnPathDomain } from '../domains/dns-records.js';
import type { DomainService } from '../domains/domains.js';
import { isOutpostError } from '../errors.js';
import type { Engagement } from '../status/engagement.js';
import type { RecipientReport, ReportResult } from '../status/report.js';
import type { MessageStatusView } from '../status/types.js';
import type { SuppressionService } from '../suppressions/suppressions.js';
import type { WebhookSender } from '../webhooks/webhook-sender.js';
import type { WebhookService } from '../webhooks/webhooks.js';
import type { Accounts, Messages, ReturnPaths, SendingDomain, SendingDomains, Suppressions, Webhooks } from './plugin-api.js';

/** What every plugin's API shares. */
export interface PluginFacades {
  domains: SendingDomains;
  accounts: Accounts;
  suppressions: Suppressions;
  webhooks: Webhooks;
  returnPaths: ReturnPaths;
  messages: Messages;
}

/** Status reads and report writes: the process's own status store, or the primary's over IPC (a worker). */
export interface ReportSink {
  message(messageId: string): Promise<MessageStatusView | undefined>;
  record(report: RecipientReport): Promise<ReportResult>;
  engage(engagement: Engagement): Promise<ReportResult>;
}

export interface FacadeServices {
  domains: DomainService;
  accounts: AccountService;
  suppressions: SuppressionService;
  webhooks: WebhookService;
  webhookSender: WebhookSender;
  tokens: ReturnPathTokens;
  reports: ReportSink;
  logger: Logger;
}

/** A copy a plugin cannot change the stored settings through. */
function frozenScan(scan: ScanSettings): Readonly<ScanSettings> {
  return Object.freeze({ ...scan, ...(scan.scanners ? { scanners: Object.freeze([...scan.scanners]) } : {}) });
}

export function pluginFacades(services: FacadeServices): PluginFacades {
  const { domains } = services;
  const sendingDomain = (record: DomainRecord): SendingDomain =>
    Object.freeze({
      name: record.domain,
      returnPathDomain: returnPathDomain(record.domain),
      defaults: Object.freeze({ ...record.defaults, ...(record.defaults.scan ? { scan: frozenScan(record.defaults.scan) } : {}) }),
      signingKey: Object.freeze({ selector: record.dkim.active.selector, algorithm: record.dkim.active.algorithm }),
      signDkim: (headerBlock: Buffer, body: Buffer, signedHeaders: readonly string[], options: { oversign?: readonly string[] } = {}) =>
        dkimSignature(headerBlock, body, domains.signingKeyFor(record), signedHeaders, options),
      returnPathFor: (message: { id: string; createdAt: number }) => services.tokens.address(message.id, message.createdAt, returnPathDomain(record.domain)),
      unsubscribeAddressFor: (message: { id: string; createdAt: number }) => services.tokens.unsubscribeAddress(message.id, message.createdAt, returnPathDomain(record.domain)),
    });

  return {
    domains: {
      async verified(accountId, name) {
        const record = await domains.verifiedDomain(accountId, name);
        return record && sendingDomain(record);
      },
      async requireVerified(accountId, address) {
        return sendingDomain(await domains.requireVerified(accountId, address));
      },
    },
    accounts: {
      async get(accountId) {
        try {
          const account = await services.accounts.get(accountId);
          return Object.freeze({ id: account.id, name: account.name, status: account.status, ...(account.scan ? { scan: frozenScan(account.scan) } : {}) });
        } catch (error) {
          if (isOutpostError(error, 'not_found')) return undefined;
          throw error;
        }
      },
      requireSending: (accountId) => services.accounts.requireSending(accountId),
    },
    suppressions: {
      async find(accountId, address) {
        const entry = await services.suppressions.find(accountId, address);
        return entry && Object.freeze({ address: entry.address, reason: entry.reason, createdAt: entry.createdAt });
      },
      async add(accountId, address, reason, detail) {
        const { created } = await services.suppressions.add(accountId, address, reason, detail);
        return { created };
      },
    },
    returnPaths: {
      verify(token) {
        const check = services.tokens.verify(token);
        return 'messageId' in check ? { messageId: check.messageId } : undefined;
      },
    },
    messages: {
      async get(messageId) {
        const view = await services.reports.message(messageId);
        if (!view) return undefined;
        return Object.freeze({
          id: view.id,
          ...(view.accountId === undefined ? {} : { accountId: view.accountId }),
          recipients: Object.freeze(view.recipients.map((recipient) => Object.freeze({ address: recipient.address, status: recipient.status }))),
        });
      },
      recordBounce: (messageId, recipient, bounce) => services.reports.record({ kind: 'bounced', messageId, recipient, ...bounce }),
      recordComplaint: (messageId, recipient, complaint) => services.reports.record({ kind: 'complained', messageId, recipient, ...complaint }),
      recordEngagement: (messageId, recipient, kind, details) => services.reports.engage({ kind, messageId, recipient, details }),
    },
    webhooks: {
      publish(accountId, type, data) {
        services.webhooks.subscribed(accountId, type).then(
          (subscribed) => {
            for (const webhook of subscribed) services.webhookSender.send(webhook, type, data);
          },
          (error: unknown) => services.logger.error({ err: error, accountId, type }, 'could not read the account\'s webhooks; event not sent'),
        );
      },
    },
  };
}
