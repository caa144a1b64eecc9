/**
 * The OpenAPI 3.1 description served at /v1/openapi.json, generated from the
 * same zod schemas the routes validate with, so the document cannot drift from
 * what the server accepts.
 */
import { z } from 'zod';
import { MessageJson, MessageListJson, MessageListQuery } from './messages/schema.js';
import { CreateAccountBody, UpdateAccountBody } from './routes/accounts.js';
import { CreateDomainBody, DomainDefaultsBody, RotateDkimBody } from './routes/domains.js';
import { CreateSuppressionBody } from './routes/suppressions.js';
import { CreateWebhookBody } from './routes/webhooks.js';
import { SendFields, SendRequest } from './send/schema.js';

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output' = 'input') => z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const ErrorBody = z.object({
  code: z.string().describe('stable snake_case code, e.g. invalid_request'),
  message: z.string().describe('what is wrong and how to fix it'),
  details: z.array(z.object({ field: z.string(), problem: z.string() })).optional(),
});

const Receipt = z.object({ id: z.string(), accepted_recipients: z.number().int(), rejected_recipients: z.number().int() });

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
const jsonBody = (ref: string) => ({ required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });
const jsonResponse = (description: string, schema: object) => ({ description, content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, schema: { type: 'string' }, description });

/** The query parameters of GET /v1/mail/messages, one entry per schema property. */
function queryParameters(schema: z.ZodType): object[] {
  const described = jsonSchema(schema) as { properties?: Record<string, object>; required?: string[] };
  return Object.entries(described.properties ?? {}).map(([name, property]) => ({
    name,
    in: 'query',
    required: described.required?.includes(name) ?? false,
    schema: property,
  }));
}

export function openApiDocument(serverUrl: string): object {
  const account = [{ apiKey: [] }];
  const admin = [{ adminKey: [] }];
  const domain = pathParam('domain', 'the domain name, e.g. acme.test');
  const suppressed = pathParam('address', 'the address, e.g. user@example.com (any case)');
  return {
    openapi: '3.1.0',
    info: { title: 'Outpost', version: '1', description: 'Self-hosted transactional mail: send, track status, manage sending domains, suppressions and webhooks.' },
    servers: [{ url: serverUrl }],
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'an account API key (op_...)' },
        adminKey: { type: 'http', scheme: 'bearer', description: 'the admin key (OUTPOST_ADMIN_KEY)' },
      },
      schemas: {
        Error: jsonSchema(ErrorBody, 'output'),
        SendRequest: jsonSchema(SendRequest),
        SendFields: jsonSchema(SendFields),
        Receipt: jsonSchema(Receipt, 'output'),
        Message: jsonSchema(MessageJson, 'output'),
        MessageList: jsonSchema(MessageListJson, 'output'),
        CreateAccount: jsonSchema(CreateAccountBody),
        UpdateAccount: jsonSchema(UpdateAccountBody),
        CreateDomain: jsonSchema(CreateDomainBody),
        CreateSuppression: jsonSchema(CreateSuppressionBody),
        CreateWebhook: jsonSchema(CreateWebhookBody),
        DomainDefaults: jsonSchema(DomainDefaultsBody),
        RotateDkim: jsonSchema(RotateDkimBody),
      },
    },
    paths: {
      '/v1/mail/send': {
        post: {
          summary: 'Send a message (JSON, or multipart/form-data with file parts named attachments)',
          security: account,
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 } }],
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('SendRequest') },
              // the same fields as form fields (to, cc, bcc, tags may repeat), plus file parts named attachments
              'multipart/form-data': { schema: { allOf: [ref('SendFields'), { type: 'object', properties: { attachments: { type: 'array', items: { type: 'string', format: 'binary' } } } }] } },
            },
          },
          responses: {
            200: jsonResponse('durably queued', ref('Receipt')),
            400: errorResponse('invalid input'),
            401: errorResponse('missing or unknown key'),
            403: errorResponse('account disabled'),
            409: errorResponse('a request with this Idempotency-Key is still in progress'),
            413: errorResponse('too large'),
            415: errorResponse('neither JSON nor multipart/form-data'),
            422: errorResponse('sender domain not verified, or refused by a plugin'),
            429: errorResponse('rate limited (see Retry-After)'),
            503: errorResponse('queue full or storage failing'),
          },
        },
      },
      '/v1/mail/messages': {
        get: {
          summary: 'List messages, newest first',
          security: account,
          parameters: queryParameters(MessageListQuery),
          responses: { 200: jsonResponse('a page', ref('MessageList')), 400: errorResponse('bad query') },
        },
      },
      '/v1/mail/messages/{id}': {
        get: {
          summary: 'A message with per-recipient status and its event log',
          security: account,
          parameters: [pathParam('id', 'message id from the receipt')],
          responses: { 200: jsonResponse('the message', ref('Message')), 404: errorResponse('no such message in this account') },
        },
      },
      '/v1/domains': {
        post: { summary: 'Add a sending domain', security: account, requestBody: jsonBody('CreateDomain'), responses: { 201: { description: 'added, with dns_records' }, 409: errorResponse('already added') } },
        get: { summary: 'List sending domains', security: account, responses: { 200: { description: 'the domains' } } },
      },
      '/v1/domains/{domain}': {
        get: { summary: 'A domain with its records', security: account, parameters: [domain], responses: { 200: { description: 'the domain' }, 404: errorResponse('not in this account') } },
        patch: { summary: 'Set per-domain defaults', security: account, parameters: [domain], requestBody: jsonBody('DomainDefaults'), responses: { 200: { description: 'updated' } } },
        delete: { summary: 'Remove a domain', security: account, parameters: [domain], responses: { 204: { description: 'removed' } } },
      },
      '/v1/domains/{domain}/verify': {
        post: { summary: 'Look the records up; verified or pending with a result per record', security: account, parameters: [domain], responses: { 200: { description: 'the domain' } } },
      },
      '/v1/domains/{domain}/dkim/rotate': {
        post: { summary: 'Start a DKIM key rotation', security: account, parameters: [domain], requestBody: { ...jsonBody('RotateDkim'), required: false }, responses: { 200: { description: 'the domain with both keys' } } },
      },
      '/v1/suppressions': {
        get: { summary: 'The account\'s suppression list, newest first', security: account, responses: { 200: { description: '{items: [{address, reason, created_at}]}' } } },
        post: {
          summary: 'Suppress an address for this account (manual)',
          security: account,
          requestBody: jsonBody('CreateSuppression'),
          responses: { 201: { description: 'added' }, 200: { description: 'already on the list: its first entry' }, 400: errorResponse('not a bare address') },
        },
      },
      '/v1/suppressions/{address}': {
        get: { summary: 'One suppressed address', security: account, parameters: [suppressed], responses: { 200: { description: '{address, reason, created_at}' }, 404: errorResponse('not on the list') } },
        delete: { summary: 'Send to the address again', security: account, parameters: [suppressed], responses: { 204: { description: 'removed' }, 404: errorResponse('not on the list') } },
      },
      '/v1/webhooks': {
        post: {
          summary: 'Register a webhook: POSTs of the chosen events (accepted, delivered, deferred, bounced), signed (X-Outpost-Signature: sha256=HMAC of the body) with the secret in the answer (shown once)',
          security: account,
          requestBody: jsonBody('CreateWebhook'),
          responses: { 201: { description: '{id, url, events, secret, created_at}' }, 400: errorResponse('bad URL, private address, or unknown event') },
        },
        get: { summary: 'The account\'s webhooks (without secrets)', security: account, responses: { 200: { description: '{items: [{id, url, events, created_at}]}' } } },
      },
      '/v1/webhooks/{id}': {
        delete: { summary: 'Stop sending to a webhook', security: account, parameters: [pathParam('id', 'webhook id')], responses: { 204: { description: 'deleted' }, 404: errorResponse('not in this account') } },
      },
      '/v1/accounts': {
        post: { summary: 'Create an account (returns its API key once)', security: admin, requestBody: jsonBody('CreateAccount'), responses: { 201: { description: 'created' } } },
        get: { summary: 'List accounts', security: admin, responses: { 200: { description: 'the accounts' } } },
      },
      '/v1/accounts/{id}': {
        get: { summary: 'An account', security: admin, parameters: [pathParam('id', 'account id')], responses: { 200: { description: 'the account' } } },
        patch: { summary: 'Enable or disable', security: admin, parameters: [pathParam('id', 'account id')], requestBody: jsonBody('UpdateAccount'), responses: { 200: { description: 'updated' } } },
        delete: { summary: 'Delete an account', security: admin, parameters: [pathParam('id', 'account id')], responses: { 204: { description: 'deleted' } } },
      },
      '/v1/accounts/{id}/rotate-key': {
        post: { summary: 'Replace the API key (the old one stops working at once)', security: admin, parameters: [pathParam('id', 'account id')], responses: { 200: { description: 'the new key' } } },
      },
      '/health': { get: { summary: '200 when every enabled listener is up', responses: { 200: { description: 'healthy' }, 503: { description: 'a part is down' } } } },
      '/metrics': { get: { summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain exposition' } } } },
    },
  };
}
