/**
 * Accounts: the admin endpoints under /v1/accounts (admin key), and an
 * account's own health at /v1/account/health (its key).
 */
import { CreateAccountBody, UpdateAccountBody } from '../routes/accounts.js';
import { AccountHealthJson, AccountJson, AccountListJson, AccountWithKeyJson } from '../views/account.js';
import { json, noContent, type OperationDoc, type ResourceDoc } from './operation.js';

const id = { id: 'the account id' };
const NO_ACCOUNT = 'no such account (not_found)';

/** POST /v1/accounts/{id}/<action>: a status change answering the account. */
function statusChange(action: string, operationId: string, summary: string): OperationDoc {
  return {
    method: 'post',
    path: `/v1/accounts/{id}/${action}`,
    operationId,
    summary,
    auth: 'admin',
    params: id,
    responses: { 200: json('the account', AccountJson), 404: NO_ACCOUNT },
  };
}

export const ACCOUNTS: ResourceDoc = {
  tag: { name: 'accounts', description: 'Accounts and their API keys (admin key); an account\'s sending health' },
  operations: [
    {
      method: 'post',
      path: '/v1/accounts',
      operationId: 'createAccount',
      summary: 'Create an account; the answer carries its API key, shown only then',
      auth: 'admin',
      body: CreateAccountBody,
      responses: { 201: json('created', AccountWithKeyJson) },
    },
    {
      method: 'get',
      path: '/v1/accounts',
      operationId: 'listAccounts',
      summary: 'Every account',
      auth: 'admin',
      responses: { 200: json('the accounts', AccountListJson) },
    },
    {
      method: 'get',
      path: '/v1/accounts/{id}',
      operationId: 'getAccount',
      summary: 'An account',
      auth: 'admin',
      params: id,
      responses: { 200: json('the account', AccountJson), 404: NO_ACCOUNT },
    },
    {
      method: 'patch',
      path: '/v1/accounts/{id}',
      operationId: 'updateAccount',
      summary: 'Enable or disable an account, or set its content scanning',
      auth: 'admin',
      params: id,
      body: UpdateAccountBody,
      responses: { 200: json('the account', AccountJson), 404: NO_ACCOUNT },
    },
    {
      method: 'delete',
      path: '/v1/accounts/{id}',
      operationId: 'deleteAccount',
      summary: 'Delete an account (its key stops working at once)',
      auth: 'admin',
      params: id,
      responses: { 204: noContent('deleted'), 404: NO_ACCOUNT },
    },
    statusChange('disable', 'disableAccount', 'Disable an account: its key is refused (403) until enabled'),
    statusChange('enable', 'enableAccount', 'Enable an account (and end a pause)'),
    statusChange('resume', 'resumeAccount', 'Resume a paused account\'s sending; the rates stay what they were'),
    {
      method: 'post',
      path: '/v1/accounts/{id}/rotate-key',
      operationId: 'rotateAccountKey',
      summary: 'Replace the API key: the old one stops working at once; the new one is shown only here',
      auth: 'admin',
      params: id,
      responses: { 200: json('the account with its new key', AccountWithKeyJson), 404: NO_ACCOUNT },
    },
    {
      method: 'get',
      path: '/v1/accounts/{id}/health',
      operationId: 'getAccountHealth',
      summary: 'An account\'s sending health: the window\'s counts and rates against the pause thresholds',
      auth: 'admin',
      params: id,
      responses: { 200: json('the account\'s health', AccountHealthJson), 404: NO_ACCOUNT },
    },
    {
      method: 'get',
      path: '/v1/account/health',
      operationId: 'getOwnAccountHealth',
      summary: 'The calling account\'s sending health (its own key)',
      auth: 'account',
      responses: { 200: json('the account\'s health', AccountHealthJson) },
    },
  ],
};
