/**
 * Sending domains: /v1/domains and /v1/domains/{domain}/... (account key).
 */
import { CreateDomainBody, DomainDefaultsBody, RotateDkimBody } from '../routes/domains.js';
import { DomainJson, DomainListJson } from '../views/domain.js';
import { json, noContent, type ResourceDoc } from './operation.js';

const domain = { domain: 'the domain name, e.g. acme.test (any case)' };
const NOT_HERE = 'the account has no such domain (not_found)';

export const DOMAINS: ResourceDoc = {
  tag: { name: 'domains', description: 'Sending domains: the DNS records to publish, their verification, DKIM keys and per-domain defaults' },
  operations: [
    {
      method: 'post',
      path: '/v1/domains',
      operationId: 'createDomain',
      summary: 'Add a sending domain; the answer lists the DNS records to publish',
      auth: 'account',
      body: CreateDomainBody,
      responses: {
        201: json('added, pending, with dns_records', DomainJson),
        400: 'not a domain name, or a field is wrong (invalid_request)',
        409: 'this account has already added the domain (domain_exists)',
      },
    },
    {
      method: 'get',
      path: '/v1/domains',
      operationId: 'listDomains',
      summary: 'The account\'s sending domains, by name',
      auth: 'account',
      responses: { 200: json('the domains', DomainListJson) },
    },
    {
      method: 'get',
      path: '/v1/domains/{domain}',
      operationId: 'getDomain',
      summary: 'A domain with its records and the result of the last verification',
      auth: 'account',
      params: domain,
      responses: { 200: json('the domain', DomainJson), 404: NOT_HERE },
    },
    {
      method: 'patch',
      path: '/v1/domains/{domain}',
      operationId: 'updateDomainDefaults',
      summary: 'Set the domain\'s defaults for the send options (fields left out keep their value)',
      auth: 'account',
      params: domain,
      body: DomainDefaultsBody,
      responses: { 200: json('the domain with its defaults', DomainJson), 404: NOT_HERE },
    },
    {
      method: 'delete',
      path: '/v1/domains/{domain}',
      operationId: 'deleteDomain',
      summary: 'Remove a domain (mail from it is refused from then on)',
      auth: 'account',
      params: domain,
      responses: { 204: noContent('removed'), 404: NOT_HERE },
    },
    {
      method: 'post',
      path: '/v1/domains/{domain}/verify',
      operationId: 'verifyDomain',
      summary: 'Look the records up: verified, or pending with what is missing or wrong on each record',
      auth: 'account',
      params: domain,
      responses: {
        200: json('the domain with the result on each record', DomainJson),
        404: NOT_HERE,
        409: 'every record is published, but another account verified the domain first (domain_verified_elsewhere)',
      },
    },
    {
      method: 'post',
      path: '/v1/domains/{domain}/dkim/rotate',
      operationId: 'rotateDomainDkim',
      summary: 'Start a DKIM key rotation: a new key to publish next to the current one, used once verified',
      auth: 'account',
      params: domain,
      body: RotateDkimBody,
      bodyOptional: true,
      responses: { 200: json('the domain with both selectors', DomainJson), 404: NOT_HERE },
    },
  ],
};
