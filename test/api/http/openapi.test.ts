/**
 * /v1/openapi.json is a valid-looking OpenAPI 3.1 document generated from the
 * schemas the server validates with: what it says is required is what the
 * server requires.
 */
import assert from 'node:assert/strict';
import { createAccount, request } from '../../support/http.js';
import { startOutpost, type TestOutpost } from '../../support/outpost.js';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: unknown }> };
}

describe('GET /v1/openapi.json', () => {
  let server: TestOutpost;

  before(async () => {
    server = await startOutpost({ dnsAddress: '127.0.0.1:53', deliveryPort: 25 });
  });
  after(() => server.close());

  it('describes every route with the schemas the server validates with', async () => {
    const response = await request<OpenApi>(server.outpost, 'GET', '/v1/openapi.json');
    assert.equal(response.status, 200);
    const document = response.body;
    assert.equal(document.openapi, '3.1.0');
    for (const path of ['/v1/mail/send', '/v1/mail/messages', '/v1/mail/messages/{id}', '/v1/domains', '/v1/domains/{domain}/verify', '/v1/suppressions', '/v1/suppressions/{address}', '/v1/webhooks', '/v1/webhooks/{id}', '/v1/accounts', '/health', '/metrics']) {
      assert.ok(document.paths[path], `${path} is described`);
    }
    const send = document.components.schemas.SendRequest!;
    assert.deepEqual([...send.required!].sort(), ['from', 'subject', 'text', 'to']);
    assert.equal(send.additionalProperties, false);
    for (const field of ['from_name', 'date', 'reply_to', 'cc', 'bcc', 'attachments', 'tags', 'charset', 'encoding', 'require_tls', 'verify_cert', 'open_tracking', 'click_tracking', 'text_click_tracking', 'unsubscribe_tracking', 'test_mode']) {
      assert.ok(send.properties![field], `SendRequest has ${field}`);
    }
  });

  it('agrees with the server: a body missing a field the document requires is refused', async () => {
    const document = (await request<OpenApi>(server.outpost, 'GET', '/v1/openapi.json')).body;
    const { apiKey } = await createAccount(server.outpost);
    const complete: Record<string, unknown> = { from: 'a@acme.test', to: ['b@dest.test'], subject: 's', text: 't' };
    for (const field of document.components.schemas.SendRequest!.required!) {
      const body = { ...complete };
      delete body[field];
      const response = await request(server.outpost, 'POST', '/v1/mail/send', { key: apiKey, json: body });
      assert.equal(response.status, 400, field);
      assert.match(JSON.stringify(response.body), new RegExp(field));
    }
  });
});
