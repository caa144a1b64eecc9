/**
 * Real answers against /v1/openapi.json: every route of a real server is
 * driven through its success and its main error statuses, and each answer is
 * checked (test/support/openapi-check.ts): its status must be documented for
 * its operation and its body must match the documented schema. At the end,
 * every documented operation has been seen succeeding, and failing where it
 * documents a client error.
 */
import assert from 'node:assert/strict';
import { definePlugin, verdict } from '../../../core/plugins/plugin-api.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request, type HttpResponse } from '../../support/http.js';
import { openApiCheckerFor, type OpenApiChecker, type OpenApiDocument } from '../../support/openapi-check.js';
import { TEST_ADMIN_KEY } from '../../support/outpost.js';
import { message, startSendHarness, type SendHarness } from './send-harness.js';

/** Refuses a message whose subject says so, for the 422 and 503 of a send. */
const refuser = definePlugin({
  name: 'conformance-refuser',
  register(api) {
    api.addHook('message:scan', (scanned) => {
      const subject = scanned.headers.getFirst('subject');
      if (subject === 'reject me') return verdict.reject(550, '5.7.1', 'refused by the test');
      if (subject === 'defer me') return verdict.defer(451, '4.7.1', 'not now, says the test');
      return verdict.continue();
    });
  },
});

/** The send rate limit: the main account stays under it, one other account goes past it. */
const RATE_LIMIT = 15;
const UNKNOWN_ACCOUNT = `a${'0'.repeat(20)}`;

describe('answers conform to /v1/openapi.json', function () {
  this.timeout(60_000);
  let harness: SendHarness;
  let checker: OpenApiChecker;
  let document: OpenApiDocument;
  /** `METHOD /template status` of every answer checked. */
  const seen = new Set<string>();

  before(async () => {
    harness = await startSendHarness({
      env: { OUTPOST_API_RATE_LIMIT: String(RATE_LIMIT), OUTPOST_API_RATE_WINDOW: '1h', OUTPOST_API_MAX_JSON_BYTES: '4096' },
      plugins: [refuser],
    });
    checker = await openApiCheckerFor(harness.server.outpost.httpAddress!);
    document = (await request<OpenApiDocument>(harness.server.outpost, 'GET', '/v1/openapi.json')).body;
  });
  after(() => harness?.close());

  /** Calls the server, asserts the status, checks the answer against the document. */
  async function call<T = Record<string, unknown>>(
    expected: number,
    method: string,
    path: string,
    options: { key?: string; json?: unknown; body?: string; headers?: Record<string, string> } = {},
  ): Promise<HttpResponse<T>> {
    const response = await request<T>(harness.server.outpost, method, path, options);
    assert.equal(response.status, expected, `${method} ${path}: ${JSON.stringify(response.body)}`);
    const checked = checker.check({ method, path, status: response.status, contentType: response.headers.get('content-type'), body: response.body });
    seen.add(`${checked!.route} ${checked!.status}`);
    return response;
  }

  const admin = TEST_ADMIN_KEY;
  const text = { body: 'hello', headers: { 'content-type': 'text/plain' } };
  const tooLarge = (bytes: number) => ({ json: { padding: 'x'.repeat(bytes) } });

  it('accounts, with the admin key', async () => {
    const created = (await call<{ id: string; api_key: string }>(201, 'POST', '/v1/accounts', { key: admin, json: { name: 'conformance' } })).body;
    await call(400, 'POST', '/v1/accounts', { key: admin, json: {} });
    await call(401, 'POST', '/v1/accounts', { json: { name: 'x' } });
    await call(403, 'POST', '/v1/accounts', { key: harness.apiKey, json: { name: 'x' } });
    await call(413, 'POST', '/v1/accounts', { key: admin, ...tooLarge(70_000) });
    await call(415, 'POST', '/v1/accounts', { key: admin, ...text });
    await call(200, 'GET', '/v1/accounts', { key: admin });
    await call(401, 'GET', '/v1/accounts');
    await call(200, 'GET', `/v1/accounts/${created.id}`, { key: admin });
    await call(404, 'GET', `/v1/accounts/${UNKNOWN_ACCOUNT}`, { key: admin });
    await call(200, 'PATCH', `/v1/accounts/${created.id}`, { key: admin, json: { status: 'active', scan: { attachments: 'allow' } } });
    await call(400, 'PATCH', `/v1/accounts/${created.id}`, { key: admin, json: { status: 'gone' } });
    await call(404, 'PATCH', `/v1/accounts/${UNKNOWN_ACCOUNT}`, { key: admin, json: { status: 'active' } });
    await call(200, 'GET', '/v1/account/health', { key: created.api_key });
    await call(401, 'GET', '/v1/account/health', { key: 'op_nonsense' });
    await call(200, 'POST', `/v1/accounts/${created.id}/disable`, { key: admin });
    await call(403, 'GET', '/v1/account/health', { key: created.api_key });
    await call(403, 'POST', '/v1/mail/send', { key: created.api_key, json: message() });
    await call(404, 'POST', `/v1/accounts/${UNKNOWN_ACCOUNT}/disable`, { key: admin });
    await call(200, 'POST', `/v1/accounts/${created.id}/enable`, { key: admin });
    await call(404, 'POST', `/v1/accounts/${UNKNOWN_ACCOUNT}/enable`, { key: admin });
    await call(200, 'POST', `/v1/accounts/${created.id}/resume`, { key: admin });
    await call(404, 'POST', `/v1/accounts/${UNKNOWN_ACCOUNT}/resume`, { key: admin });
    await call(200, 'GET', `/v1/accounts/${created.id}/health`, { key: admin });
    await call(404, 'GET', `/v1/accounts/${UNKNOWN_ACCOUNT}/health`, { key: admin });
    await call(200, 'POST', `/v1/accounts/${created.id}/rotate-key`, { key: admin });
    await call(404, 'POST', `/v1/accounts/${UNKNOWN_ACCOUNT}/rotate-key`, { key: admin });
    await call(204, 'DELETE', `/v1/accounts/${created.id}`, { key: admin });
    await call(404, 'DELETE', `/v1/accounts/${created.id}`, { key: admin });
  });

  it('domains', async () => {
    const key = harness.apiKey;
    await call(201, 'POST', '/v1/domains', { key, json: { domain: 'conformance.test', dkim_algorithm: 'ed25519' } });
    await call(409, 'POST', '/v1/domains', { key, json: { domain: 'conformance.test' } });
    await call(400, 'POST', '/v1/domains', { key, json: { domain: 'not a domain' } });
    await call(413, 'POST', '/v1/domains', { key, ...tooLarge(20_000) });
    await call(415, 'POST', '/v1/domains', { key, ...text });
    await call(401, 'POST', '/v1/domains', { json: { domain: 'x.test' } });
    await call(200, 'GET', '/v1/domains', { key });
    await call(401, 'GET', '/v1/domains');
    await call(200, 'GET', '/v1/domains/acme.test', { key });
    await call(404, 'GET', '/v1/domains/elsewhere.test', { key });
    await call(200, 'PATCH', '/v1/domains/conformance.test', { key, json: { test_mode: true, scan: { spam_threshold: 8 } } });
    await call(400, 'PATCH', '/v1/domains/conformance.test', { key, json: { nonsense: true } });
    await call(404, 'PATCH', '/v1/domains/elsewhere.test', { key, json: { test_mode: true } });
    await call(200, 'POST', '/v1/domains/conformance.test/verify', { key });
    await call(200, 'POST', '/v1/domains/acme.test/verify', { key });
    await call(404, 'POST', '/v1/domains/elsewhere.test/verify', { key });
    await call(200, 'POST', '/v1/domains/conformance.test/dkim/rotate', { key });
    await call(200, 'POST', '/v1/domains/conformance.test/dkim/rotate', { key, json: { dkim_algorithm: 'rsa' } });
    await call(400, 'POST', '/v1/domains/conformance.test/dkim/rotate', { key, json: { dkim_algorithm: 'dsa' } });
    await call(404, 'POST', '/v1/domains/elsewhere.test/dkim/rotate', { key });
    await call(204, 'DELETE', '/v1/domains/conformance.test', { key });
    await call(404, 'DELETE', '/v1/domains/conformance.test', { key });
  });

  it('suppressions', async () => {
    const key = harness.apiKey;
    await call(201, 'POST', '/v1/suppressions', { key, json: { address: 'Gone@Dest.test' } });
    await call(200, 'POST', '/v1/suppressions', { key, json: { address: 'gone@dest.test' } });
    await call(400, 'POST', '/v1/suppressions', { key, json: { address: 'not an address' } });
    await call(413, 'POST', '/v1/suppressions', { key, ...tooLarge(5000) });
    await call(415, 'POST', '/v1/suppressions', { key, ...text });
    await call(200, 'GET', '/v1/suppressions', { key });
    await call(401, 'GET', '/v1/suppressions');
    await call(200, 'GET', '/v1/suppressions/gone%40dest.test', { key });
    await call(400, 'GET', '/v1/suppressions/nobody', { key });
    await call(404, 'GET', '/v1/suppressions/other%40dest.test', { key });
    await call(204, 'DELETE', '/v1/suppressions/gone%40dest.test', { key });
    await call(404, 'DELETE', '/v1/suppressions/gone%40dest.test', { key });
    await call(400, 'DELETE', '/v1/suppressions/nobody', { key });
  });

  it('webhooks', async () => {
    const key = harness.apiKey;
    const hook = (await call<{ id: string }>(201, 'POST', '/v1/webhooks', { key, json: { url: 'http://127.0.0.1:9/hook', events: ['delivered', 'bounced'] } })).body;
    await call(400, 'POST', '/v1/webhooks', { key, json: { url: 'http://127.0.0.1:9/hook', events: ['exploded'] } });
    await call(413, 'POST', '/v1/webhooks', { key, ...tooLarge(10_000) });
    await call(415, 'POST', '/v1/webhooks', { key, ...text });
    await call(200, 'GET', '/v1/webhooks', { key });
    await call(401, 'GET', '/v1/webhooks');
    await call(200, 'GET', `/v1/webhooks/${hook.id}/deliveries`, { key });
    await call(400, 'GET', `/v1/webhooks/${hook.id}/deliveries?limit=0`, { key });
    await call(404, 'GET', '/v1/webhooks/wh0000000000000000/deliveries', { key });
    await call(204, 'DELETE', `/v1/webhooks/${hook.id}`, { key });
    await call(404, 'DELETE', `/v1/webhooks/${hook.id}`, { key });
  });

  it('sending and message status', async () => {
    const key = harness.apiKey;
    const receipt = (await call<{ id: string }>(200, 'POST', '/v1/mail/send', { key, json: message({ test_mode: true, tags: ['conformance'] }) })).body;
    await call(200, 'POST', '/v1/mail/send', { key, json: message({ test_mode: true }), headers: { 'Idempotency-Key': 'conformance-1' } });
    const replayed = await call(200, 'POST', '/v1/mail/send', { key, json: message({ test_mode: true }), headers: { 'Idempotency-Key': 'conformance-1' } });
    assert.equal(replayed.headers.get('idempotent-replayed'), 'true');
    await call(422, 'POST', '/v1/mail/send', { key, json: message({ subject: 'other', test_mode: true }), headers: { 'Idempotency-Key': 'conformance-1' } });
    await call(400, 'POST', '/v1/mail/send', { key, json: message({ to: 'not a list' }) });
    await call(413, 'POST', '/v1/mail/send', { key, json: message({ text: 'x'.repeat(5000) }) });
    await call(415, 'POST', '/v1/mail/send', { key, ...text });
    await call(422, 'POST', '/v1/mail/send', { key, json: message({ from: 'someone@unverified.test' }) });
    await call(422, 'POST', '/v1/mail/send', { key, json: message({ subject: 'reject me' }) });
    await call(503, 'POST', '/v1/mail/send', { key, json: message({ subject: 'defer me' }) });
    await call(401, 'POST', '/v1/mail/send', { json: message() });

    await call(200, 'GET', `/v1/mail/messages/${receipt.id}`, { key });
    await call(404, 'GET', '/v1/mail/messages/nosuchmessage', { key });
    await call(200, 'GET', '/v1/mail/messages?tag=conformance&limit=5', { key });
    await call(400, 'GET', '/v1/mail/messages?limit=0', { key });
    await call(401, 'GET', '/v1/mail/messages');
  });

  it('the send rate limit, with Retry-After', async () => {
    const limited = await createAccount(harness.server.outpost, 'limited');
    await addVerifiedDomain(harness.server.outpost, harness.dns, limited.apiKey, 'limited.test');
    for (let sent = 0; sent < RATE_LIMIT; sent++) await call(400, 'POST', '/v1/mail/send', { key: limited.apiKey, json: {} });
    const refused = await call(429, 'POST', '/v1/mail/send', { key: limited.apiKey, json: message({ from: 'news@limited.test', test_mode: true }) });
    assert.match(refused.headers.get('retry-after') ?? '', /^\d+$/);
  });

  it('stats', async () => {
    await call(200, 'GET', '/v1/stats', { key: harness.apiKey });
    await call(200, 'GET', '/v1/stats?interval=hour&tag=conformance', { key: harness.apiKey });
    await call(400, 'GET', '/v1/stats?interval=week', { key: harness.apiKey });
  });

  it('the operational endpoints', async () => {
    await call(200, 'GET', '/health');
    await call(200, 'GET', '/metrics');
    await call(200, 'GET', '/v1/openapi.json');
  });

  it('has seen every documented operation succeed, and fail where it documents a client error', () => {
    const missing: string[] = [];
    for (const [path, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const route = `${method.toUpperCase()} ${path}`;
        const statuses = Object.keys(operation.responses);
        const answered = statuses.filter((status) => seen.has(`${route} ${status}`));
        if (!answered.some((status) => status.startsWith('2'))) missing.push(`${route}: no success`);
        if (statuses.some((status) => status.startsWith('4')) && !answered.some((status) => status.startsWith('4'))) missing.push(`${route}: no client error`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('refuses an answer the document does not allow', () => {
    const answer = { method: 'GET', path: '/v1/domains/acme.test', contentType: 'application/json' };
    assert.throws(() => checker.check({ ...answer, status: 418, body: { code: 'teapot', message: 'no' } }), /does not list/);
    assert.throws(() => checker.check({ ...answer, status: 200, body: { domain: 'acme.test' } }), /schema refuses/);
    assert.throws(() => checker.check({ ...answer, status: 404, body: { code: 'not_found', message: 'x', extra: 1 } }), /schema refuses/);
    assert.throws(() => checker.check({ ...answer, path: '/v1/nowhere', status: 200, body: {} }), /not an operation/);
    assert.throws(() => checker.check({ ...answer, method: 'DELETE', path: '/v1/webhooks/x', status: 204, body: { surprise: true } }), /says none/);
  });
});
