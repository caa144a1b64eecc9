/**
 * /v1/openapi.json: a valid OpenAPI 3.1 document by an independent linter
 * (Redocly), describing every route the router serves (and none it does not)
 * with an operationId and a schema for each answer, generated from the schemas
 * the server validates with: what it says is required is what the server
 * requires. openapi-conformance.test.ts checks real answers against it.
 */
import assert from 'node:assert/strict';
import type Router from '@koa/router';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import { createHttpApp } from '../../../api/http/app.js';
import type { Intake } from '../../../core/intake.js';
import { createAccount, request } from '../../support/http.js';
import { startOutpost, type TestOutpost } from '../../support/outpost.js';

interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, { operationId?: string; responses: Record<string, { content?: Record<string, { schema?: object }> }> }>>;
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown>; additionalProperties?: unknown }> };
}

describe('GET /v1/openapi.json', () => {
  let server: TestOutpost;
  let document: OpenApi;

  before(async () => {
    server = await startOutpost({ dnsAddress: '127.0.0.1:53', deliveryPort: 25 });
    const response = await request<OpenApi>(server.outpost, 'GET', '/v1/openapi.json');
    assert.equal(response.status, 200);
    document = response.body;
  });
  after(() => server.close());

  it('is a valid OpenAPI 3.1 document by Redocly\'s strictest built-in rules', async () => {
    const config = await createConfig({
      extends: ['recommended-strict'],
      rules: {
        // the test server's URL is on loopback, as the rule would flag; a real server's is OUTPOST_PUBLIC_URL
        'no-server-example.com': 'off',
        // /health, /metrics and this document take no input and have no client error to answer
        'operation-4xx-response': 'off',
      },
    });
    const problems = await lintFromString({ source: JSON.stringify(document), absoluteRef: '/v1/openapi.json', config });
    const described = problems.map((problem) => `${problem.ruleId}: ${problem.message} (${problem.location[0]?.pointer ?? ''})`);
    assert.deepEqual(described, []);
  });

  it('names every operation and gives every answer with a body its schema', () => {
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const route = `${method.toUpperCase()} ${path}`;
        assert.match(operation.operationId ?? '', /^[a-z][A-Za-z]+$/, `${route} has a camelCase operationId`);
        for (const [status, response] of Object.entries(operation.responses)) {
          if (status === '204') {
            assert.equal(response.content, undefined, `${route} ${status} has no body`);
            continue;
          }
          const media = Object.entries(response.content ?? {});
          assert.ok(media.length > 0, `${route} ${status} says what its body is`);
          for (const [type, content] of media) assert.ok(content.schema, `${route} ${status} ${type} has a schema`);
        }
      }
    }
  });

  it('describes exactly the routes the routers serve, but for the plugins\' links in mail and the web console', () => {
    // the Intake is not public on Outpost; this test builds a second app over it only to read its routers
    const intake = (server.outpost as unknown as { parts: { intake: Intake } }).parts.intake;
    const app = createHttpApp(intake);
    const routers = app.middleware.flatMap((middleware) => (middleware as { router?: Router }).router ?? []);
    assert.ok(routers.length > 0, 'the app mounts a router');
    const pluginPaths = new Set(intake.pluginRoutes.map((route) => route.path));
    assert.ok(pluginPaths.size > 0, 'the tracking plugin\'s routes are mounted (and left out below)');
    // not API calls: links in mail that each plugin answers its own way, and HTML pages for people (/ui)
    const notApi = (path: string) => pluginPaths.has(path) || path === '/ui' || path.startsWith('/ui/');
    const served = routers
      .flatMap((router) => router.stack)
      .map((layer) => ({ path: String(layer.path), methods: layer.methods }))
      .filter((layer) => !notApi(layer.path))
      .flatMap((layer) => layer.methods.filter((method) => method !== 'HEAD').map((method) => `${method} ${layer.path.replace(/:(\w+)/g, '{$1}')}`));
    const documented = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    assert.deepEqual(served.filter((route) => !documented.includes(route)), [], 'served, not documented');
    assert.deepEqual(documented.filter((route) => !served.includes(route)), [], 'documented, not served');
  });

  it('describes the send body with the schemas the server validates with', () => {
    assert.equal(document.openapi, '3.1.0');
    const send = document.components.schemas.SendRequest!;
    assert.deepEqual([...send.required!].sort(), ['from', 'subject', 'text', 'to']);
    assert.equal(send.additionalProperties, false);
    for (const field of ['from_name', 'date', 'reply_to', 'cc', 'bcc', 'attachments', 'tags', 'charset', 'encoding', 'require_tls', 'verify_cert', 'open_tracking', 'click_tracking', 'text_click_tracking', 'unsubscribe_tracking', 'test_mode']) {
      assert.ok(send.properties![field], `SendRequest has ${field}`);
    }
  });

  it('agrees with the server: a body missing a field the document requires is refused', async () => {
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
