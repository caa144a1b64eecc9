/**
 * The account's suppression list: /v1/suppressions (account key).
 */
import { CreateSuppressionBody } from '../routes/suppressions.js';
import { SuppressionJson, SuppressionListJson } from '../views/suppression.js';
import { json, noContent, type ResourceDoc } from './operation.js';

const address = { address: 'the address, e.g. user@example.com (any case; URL-encoded)' };
const NOT_LISTED = 'the address is not on the list (not_found)';
const NOT_AN_ADDRESS = 'not one bare address (invalid_request)';

export const SUPPRESSIONS: ResourceDoc = {
  tag: { name: 'suppressions', description: 'Addresses the account does not send to: hard bounces, complaints, unsubscribes and manual entries' },
  operations: [
    {
      method: 'get',
      path: '/v1/suppressions',
      operationId: 'listSuppressions',
      summary: 'The account\'s suppression list, newest first',
      auth: 'account',
      responses: { 200: json('the list', SuppressionListJson) },
    },
    {
      method: 'post',
      path: '/v1/suppressions',
      operationId: 'addSuppression',
      summary: 'Suppress an address for this account (reason manual)',
      auth: 'account',
      body: CreateSuppressionBody,
      responses: {
        200: json('already on the list: its first entry, unchanged', SuppressionJson),
        201: json('added', SuppressionJson),
        400: 'not one bare address, or a field is wrong (invalid_request)',
      },
    },
    {
      method: 'get',
      path: '/v1/suppressions/{address}',
      operationId: 'getSuppression',
      summary: 'One suppressed address',
      auth: 'account',
      params: address,
      responses: { 200: json('the entry', SuppressionJson), 400: NOT_AN_ADDRESS, 404: NOT_LISTED },
    },
    {
      method: 'delete',
      path: '/v1/suppressions/{address}',
      operationId: 'removeSuppression',
      summary: 'Send to the address again',
      auth: 'account',
      params: address,
      responses: { 204: noContent('removed'), 400: NOT_AN_ADDRESS, 404: NOT_LISTED },
    },
  ],
};
