/**
 * The names the document gives its schemas (components/schemas), which
 * generated clients turn into type names. A schema an operation uses without a
 * name here still appears, named after its operation (e.g. GetStatsResponse);
 * naming it here is for readers.
 */
import type { z } from 'zod';
import { MessageJson, MessageListJson } from '../messages/schema.js';
import { CreateAccountBody, UpdateAccountBody } from '../routes/accounts.js';
import { CreateDomainBody, DomainDefaultsBody, RotateDkimBody } from '../routes/domains.js';
import { CreateSuppressionBody } from '../routes/suppressions.js';
import { CreateWebhookBody } from '../routes/webhooks.js';
import { SendRequest } from '../send/schema.js';
import { AccountHealthJson, AccountJson, AccountListJson, AccountWithKeyJson } from '../views/account.js';
import { DomainJson, DomainListJson } from '../views/domain.js';
import { ErrorJson } from '../views/error.js';
import { HealthJson } from '../views/health.js';
import { ReceiptJson } from '../views/receipt.js';
import { StatsJson } from '../views/stats.js';
import { SuppressionJson, SuppressionListJson } from '../views/suppression.js';
import { WebhookJson, WebhookListJson, WebhookWithSecretJson } from '../views/webhook.js';
import { SendMultipart } from './mail.js';
import { WebhookDeliveryListJson } from './webhooks.js';

/** Request bodies, described as the server reads them (zod io "input"). */
export const REQUEST_SCHEMAS: Record<string, z.ZodType> = {
  SendRequest,
  SendMultipart,
  CreateAccount: CreateAccountBody,
  UpdateAccount: UpdateAccountBody,
  CreateDomain: CreateDomainBody,
  DomainDefaults: DomainDefaultsBody,
  RotateDkim: RotateDkimBody,
  CreateSuppression: CreateSuppressionBody,
  CreateWebhook: CreateWebhookBody,
};

/** Answers, described as the server writes them (zod io "output"). */
export const RESPONSE_SCHEMAS: Record<string, z.ZodType> = {
  Error: ErrorJson,
  Receipt: ReceiptJson,
  Message: MessageJson,
  MessageList: MessageListJson,
  Domain: DomainJson,
  DomainList: DomainListJson,
  Suppression: SuppressionJson,
  SuppressionList: SuppressionListJson,
  Webhook: WebhookJson,
  WebhookWithSecret: WebhookWithSecretJson,
  WebhookList: WebhookListJson,
  WebhookDeliveryList: WebhookDeliveryListJson,
  Account: AccountJson,
  AccountWithKey: AccountWithKeyJson,
  AccountList: AccountListJson,
  AccountHealth: AccountHealthJson,
  Stats: StatsJson,
  Health: HealthJson,
};
