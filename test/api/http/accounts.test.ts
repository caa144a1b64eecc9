/**
 * The admin endpoints for accounts (api/routes/accounts.ts) against a real
 * Outpost over HTTP: create, list, get, disable/enable, rotate, delete, what
 * each does to the account's key at once, the admin-key check, request body
 * errors, and that no response ever shows the stored key hash.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { createAccount, request, type HttpResponse } from '../../support/http.js';
import { startOutpost, TEST_ADMIN_KEY, type TestOutpost } from '../../support/outpost.js';

interface AccountJson {
  id: string;
  name: string;
  status: 'active' | 'disabled';
  created_at: string;
  key_rotated_at: string;
  api_key?: string;
}
type ErrorBody = { code: string; message: string; details?: { field: string; problem: string }[] };

const ACCOUNT_FIELDS = ['created_at', 'id', 'key_rotated_at', 'name', 'status'];

describe('account admin API', () => {
  let dns: TestDnsServer;
  let server: TestOutpost;
  /** Every response body seen, to check that none shows a key hash. */
  const seenBodies: unknown[] = [];

  before(async () => {
    dns = await startDnsServer({});
    // Nothing is delivered here, so the delivery port is never dialled.
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: 9 });
  });

  after(async () => {
    await server?.close();
    await dns?.close();
  });

  async function call<T = AccountJson & ErrorBody>(method: string, path: string, options: Parameters<typeof request>[3] = {}): Promise<HttpResponse<T>> {
    const response = await request<T>(server.outpost, method, path, options);
    seenBodies.push(response.body);
    return response;
  }
  const admin = <T = AccountJson & ErrorBody>(method: string, path: string, json?: unknown) => call<T>(method, path, { key: TEST_ADMIN_KEY, ...(json !== undefined ? { json } : {}) });

  /** Status of an account-authenticated call made with `apiKey`. */
  async function statusWithKey(apiKey: string): Promise<number> {
    return (await call('GET', '/v1/mail/messages', { key: apiKey })).status;
  }

  async function create(name = 'acme'): Promise<AccountJson & { api_key: string }> {
    const response = await admin<AccountJson & { api_key: string }>('POST', '/v1/accounts', { name });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  }

  function assertError(response: HttpResponse<ErrorBody>, status: number, code: string): void {
    assert.equal(response.status, status, JSON.stringify(response.body));
    assert.deepEqual(Object.keys(response.body).filter((key) => key !== 'details').sort(), ['code', 'message']);
    assert.equal(response.body.code, code);
    assert.ok(response.body.message.length > 0);
  }

  it('creates an account: 201 with its id, name, status and an API key that works at once', async () => {
    const account = await create('  Acme Inc  ');
    assert.deepEqual(Object.keys(account).sort(), [...ACCOUNT_FIELDS, 'api_key'].sort());
    assert.equal(account.name, 'Acme Inc');
    assert.equal(account.status, 'active');
    assert.match(account.id, /^a[0-9a-f]{20}$/);
    assert.ok(account.api_key.startsWith(`op_${account.id}_`));
    assert.ok(!Number.isNaN(Date.parse(account.created_at)));
    assert.equal(await statusWithKey(account.api_key), 200);
  });

  it('lists and gets accounts without their keys', async () => {
    const first = await create('first');
    const second = await create('second');
    const listed = await admin<{ items: AccountJson[] }>('GET', '/v1/accounts');
    assert.equal(listed.status, 200);
    const ids = listed.body.items.map((item) => item.id);
    assert.ok(ids.indexOf(first.id) >= 0 && ids.indexOf(first.id) < ids.indexOf(second.id), 'oldest first');
    for (const item of listed.body.items) assert.deepEqual(Object.keys(item).sort(), ACCOUNT_FIELDS);

    const fetched = await admin('GET', `/v1/accounts/${second.id}`);
    assert.equal(fetched.status, 200);
    const shown: Partial<typeof second> = { ...second };
    delete shown.api_key;
    assert.deepEqual(fetched.body, shown);
  });

  it('answers 404 not_found for an unknown or malformed account id', async () => {
    assertError(await admin('GET', `/v1/accounts/a${'0'.repeat(20)}`), 404, 'not_found');
    assertError(await admin('GET', '/v1/accounts/nonsense'), 404, 'not_found');
    assertError(await admin('POST', `/v1/accounts/a${'0'.repeat(20)}/disable`), 404, 'not_found');
    assertError(await admin('DELETE', `/v1/accounts/a${'0'.repeat(20)}`), 404, 'not_found');
  });

  it('disabling stops the key at once (403), enabling restores it; PATCH does the same', async () => {
    const account = await create();
    const disabled = await admin('POST', `/v1/accounts/${account.id}/disable`);
    assert.equal(disabled.status, 200);
    assert.equal(disabled.body.status, 'disabled');
    const refused = await call<ErrorBody>('GET', '/v1/mail/messages', { key: account.api_key });
    assertError(refused, 403, 'forbidden');

    const enabled = await admin('POST', `/v1/accounts/${account.id}/enable`);
    assert.equal(enabled.body.status, 'active');
    assert.equal(await statusWithKey(account.api_key), 200);

    assert.equal((await admin('PATCH', `/v1/accounts/${account.id}`, { status: 'disabled' })).body.status, 'disabled');
    assert.equal(await statusWithKey(account.api_key), 403);
    assert.equal((await admin('PATCH', `/v1/accounts/${account.id}`, { status: 'active' })).body.status, 'active');
    assert.equal(await statusWithKey(account.api_key), 200);
  });

  it('rotating the key: the old key answers 401 at once, the new one works', async () => {
    const account = await create();
    const rotated = await admin<AccountJson & { api_key: string }>('POST', `/v1/accounts/${account.id}/rotate-key`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.api_key, account.api_key);
    assert.ok(rotated.body.api_key.startsWith(`op_${account.id}_`));
    assert.ok(Date.parse(rotated.body.key_rotated_at) >= Date.parse(account.key_rotated_at));
    assertError(await call<ErrorBody>('GET', '/v1/mail/messages', { key: account.api_key }), 401, 'unauthorized');
    assert.equal(await statusWithKey(rotated.body.api_key), 200);
  });

  it('deleting an account: 204, its key answers 401, the account is gone', async () => {
    const account = await create();
    const deleted = await admin('DELETE', `/v1/accounts/${account.id}`);
    assert.equal(deleted.status, 204);
    assert.equal(await statusWithKey(account.api_key), 401);
    assertError(await admin('GET', `/v1/accounts/${account.id}`), 404, 'not_found');
    assert.ok(!(await admin<{ items: AccountJson[] }>('GET', '/v1/accounts')).body.items.some((item) => item.id === account.id));
  });

  it('refuses an account key (or any other key) on every admin route with 403, and no key with 401', async () => {
    const account = await createAccount(server.outpost, 'not-an-admin');
    const routes: [string, string, unknown?][] = [
      ['POST', '/v1/accounts', { name: 'x' }],
      ['GET', '/v1/accounts'],
      ['GET', `/v1/accounts/${account.id}`],
      ['PATCH', `/v1/accounts/${account.id}`, { status: 'disabled' }],
      ['POST', `/v1/accounts/${account.id}/disable`],
      ['POST', `/v1/accounts/${account.id}/enable`],
      ['POST', `/v1/accounts/${account.id}/rotate-key`],
      ['DELETE', `/v1/accounts/${account.id}`],
    ];
    for (const [method, path, json] of routes) {
      const body = json !== undefined ? { json } : {};
      assertError(await call<ErrorBody>(method, path, { key: account.apiKey, ...body }), 403, 'forbidden');
      assertError(await call<ErrorBody>(method, path, { key: `${TEST_ADMIN_KEY}x`, ...body }), 403, 'forbidden');
      assertError(await call<ErrorBody>(method, path, body), 401, 'unauthorized');
      assertError(await call<ErrorBody>(method, path, { headers: { authorization: `Basic ${TEST_ADMIN_KEY}` }, ...body }), 401, 'unauthorized');
    }
    // None of that changed the account.
    assert.equal(await statusWithKey(account.apiKey), 200);
  });

  it('answers 400 invalid_request for bad JSON, a missing or unknown field, a bad name or status', async () => {
    const badJson = await call<ErrorBody>('POST', '/v1/accounts', { key: TEST_ADMIN_KEY, body: '{"name": "acme"', headers: { 'content-type': 'application/json' } });
    assertError(badJson, 400, 'invalid_request');
    assert.match(badJson.body.message, /not valid JSON/);

    const unknown = await admin<ErrorBody>('POST', '/v1/accounts', { name: 'acme', plan: 'gold' });
    assertError(unknown, 400, 'invalid_request');
    assert.match(unknown.body.message, /plan/);

    for (const body of [{}, { name: '' }, { name: '   ' }, { name: 'x'.repeat(101) }, { name: 42 }, ['acme'], 'acme']) {
      assertError(await admin<ErrorBody>('POST', '/v1/accounts', body), 400, 'invalid_request');
    }
    const account = await create();
    const badStatus = await admin<ErrorBody>('PATCH', `/v1/accounts/${account.id}`, { status: 'paused' });
    assertError(badStatus, 400, 'invalid_request');
    assert.equal(badStatus.body.details?.[0]?.field, 'status');
  });

  it('answers 415 for a body that is not application/json', async () => {
    const response = await call<ErrorBody>('POST', '/v1/accounts', { key: TEST_ADMIN_KEY, body: 'name=acme', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assertError(response, 415, 'unsupported_media_type');
    assertError(await call<ErrorBody>('POST', '/v1/accounts', { key: TEST_ADMIN_KEY, body: '{"name":"acme"}' }), 415, 'unsupported_media_type');
  });

  it('stores only a hash of the key, and no response ever shows it', async () => {
    const account = await create('stored-key-check');
    const rotated = (await admin<AccountJson & { api_key: string }>('POST', `/v1/accounts/${account.id}/rotate-key`)).body;
    const stored = await server.outpost.accounts.get(account.id);
    const secret = rotated.api_key.slice(`op_${account.id}_`.length);
    assert.equal(stored.keyHash, createHash('sha256').update(secret).digest('hex'));
    assert.ok(!JSON.stringify(stored).includes(secret), 'the stored account holds no key');

    // Every body this file has seen: no hash field, and no stored hash value.
    const hashes = (await server.outpost.accounts.list()).map((item) => item.keyHash);
    assert.ok(seenBodies.length > 20);
    for (const body of seenBodies) {
      const text = JSON.stringify(body) ?? '';
      assert.doesNotMatch(text, /"[^"]*hash[^"]*":/i, 'no field named like a hash');
      for (const hash of hashes) assert.ok(!text.includes(hash), `a response showed a key hash: ${text}`);
    }
  });
});
