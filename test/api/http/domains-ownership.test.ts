/**
 * Who may send from a domain is decided by DNS, never by who added it first:
 * each account's claim of a domain carries its own verification token; a claim
 * nobody verified blocks nobody and expires; the first account whose records
 * (token included) are published owns the domain until it deletes it, its
 * records stop verifying, or the account is deleted. Adding never tells
 * whether another account holds the domain.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain, publishRecords } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { startOutpost, TEST_ADMIN_KEY, type TestOutpost } from '../../support/outpost.js';

interface DnsRecordView {
  purpose: string;
  type: 'TXT' | 'MX';
  name: string;
  value: string;
  priority?: number;
  status: string;
  found?: string[];
  reason?: string;
}
interface DomainView {
  domain: string;
  status: string;
  created_at: string;
  expires_at: string | null;
  dns_records: DnsRecordView[];
  code?: string;
  message?: string;
}

describe('domain ownership', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost | undefined;

  beforeEach(async () => {
    mx = await startMxServer();
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await mx.close();
    await dns.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env: { OUTPOST_SENDING_IPS: '203.0.113.7', ...env } });
    return server.outpost;
  };
  const add = (domain: string, key: string) => request<DomainView>(server!.outpost, 'POST', '/v1/domains', { key, json: { domain } });
  const verify = (domain: string, key: string) => request<DomainView>(server!.outpost, 'POST', `/v1/domains/${domain}/verify`, { key });
  const get = (domain: string, key: string) => request<DomainView>(server!.outpost, 'GET', `/v1/domains/${domain}`, { key });
  const send = (from: string, key: string) =>
    request<{ code?: string }>(server!.outpost, 'POST', '/v1/mail/send', { key, json: { from, to: ['user@dest.test'], subject: 'Hello', text: 'Hi.' } });
  const ownershipRecord = (view: DomainView) => view.dns_records.find((record) => record.purpose === 'ownership');

  it('lets the real owner add and verify a domain a squatter added first; the squatter\'s claim never verifies', async () => {
    const outpost = await start();
    const squatter = await createAccount(outpost, 'squatter');
    const owner = await createAccount(outpost, 'owner');
    assert.equal((await add('acme.test', squatter.apiKey)).status, 201);

    const added = await add('acme.test', owner.apiKey);
    assert.equal(added.status, 201, `a claim nobody verified blocks nobody: ${JSON.stringify(added.body)}`);
    publishRecords(dns, added.body);
    assert.equal((await verify('acme.test', owner.apiKey)).body.status, 'verified');

    // what the owner published proves nothing for the squatter: its own token and DKIM key are not in DNS
    const refused = await verify('acme.test', squatter.apiKey);
    assert.equal(refused.status, 200, JSON.stringify(refused.body));
    assert.equal(refused.body.status, 'pending');
    assert.notEqual(ownershipRecord(refused.body)?.status, 'ok');
    assert.doesNotMatch(JSON.stringify(refused.body), /another account/, 'a claim that proves nothing learns nothing about other accounts');
    assert.equal((await send('news@acme.test', squatter.apiKey)).body.code, 'domain_not_verified');
    assert.equal((await send('news@acme.test', owner.apiKey)).status, 200);

    // nor does adding a verified domain tell a newcomer it belongs to a customer
    const late = await createAccount(outpost, 'late');
    const lateAdd = await add('acme.test', late.apiKey);
    assert.equal(lateAdd.status, 201, JSON.stringify(lateAdd.body));
    assert.equal(lateAdd.body.status, 'pending');
  });

  it('gives the domain to the first account to verify; another that also proves control is told only that another account verified it', async () => {
    const outpost = await start();
    const globex = await createAccount(outpost, 'globex-corp');
    const initech = await createAccount(outpost, 'initech-corp');
    const claims = [await add('acme.test', globex.apiKey), await add('acme.test', initech.apiKey)];
    for (const claim of claims) {
      assert.equal(claim.status, 201, JSON.stringify(claim.body));
      publishRecords(dns, claim.body);
    }
    assert.deepEqual(new Set(claims.map((claim) => ownershipRecord(claim.body)!.name)), new Set(['_outpost-verify.acme.test']));
    assert.equal(dns.zone['_outpost-verify.acme.test']!.TXT!.length, 2, 'both tokens published side by side');

    const answers = await Promise.all([verify('acme.test', globex.apiKey), verify('acme.test', initech.apiKey)]);
    const winner = answers.findIndex((answer) => answer.status === 200 && answer.body.status === 'verified');
    assert.notEqual(winner, -1, JSON.stringify(answers.map((answer) => answer.body)));
    const loser = answers[1 - winner]!;
    const [winnerAccount, loserAccount] = winner === 0 ? [globex, initech] : [initech, globex];
    assert.equal(loser.status, 409, JSON.stringify(loser.body));
    assert.equal(loser.body.code, 'domain_verified_elsewhere');
    assert.match(loser.body.message!, /acme\.test is verified by another account/);
    assert.doesNotMatch(loser.body.message!, new RegExp(`${winnerAccount.id}|globex|initech`));
    assert.equal((await get('acme.test', loserAccount.apiKey)).body.status, 'pending');
    assert.equal((await send('news@acme.test', loserAccount.apiKey)).body.code, 'domain_not_verified');

    // deleting the domain frees it: the other account's claim verifies now
    assert.equal((await request(outpost, 'DELETE', '/v1/domains/acme.test', { key: winnerAccount.apiKey })).status, 204);
    assert.equal((await verify('acme.test', loserAccount.apiKey)).body.status, 'verified');
    assert.equal((await send('news@acme.test', loserAccount.apiKey)).status, 200);
  });

  it('frees the domains of a deleted account', async () => {
    const outpost = await start();
    const previous = await createAccount(outpost, 'previous');
    await addVerifiedDomain(outpost, dns, previous.apiKey, 'acme.test');
    const next = await createAccount(outpost, 'next');
    const claim = await add('acme.test', next.apiKey);
    assert.equal(claim.status, 201, JSON.stringify(claim.body));
    publishRecords(dns, claim.body);
    assert.equal((await verify('acme.test', next.apiKey)).body.code, 'domain_verified_elsewhere');

    assert.equal((await request(outpost, 'DELETE', `/v1/accounts/${previous.id}`, { key: TEST_ADMIN_KEY })).status, 204);
    assert.equal((await verify('acme.test', next.apiKey)).body.status, 'verified');
    assert.equal((await send('news@acme.test', next.apiKey)).status, 200);
  });

  it('frees a domain whose owner\'s records stopped verifying, for another account that proves control', async () => {
    const outpost = await start();
    const previous = await createAccount(outpost, 'previous');
    const previousView = await add('acme.test', previous.apiKey);
    publishRecords(dns, previousView.body);
    assert.equal((await verify('acme.test', previous.apiKey)).body.status, 'verified');
    const next = await createAccount(outpost, 'next');
    const claim = await add('acme.test', next.apiKey);
    publishRecords(dns, claim.body);
    assert.equal((await verify('acme.test', next.apiKey)).body.code, 'domain_verified_elsewhere');

    // the previous owner's token is taken down (the domain changed hands): the scheduled check frees it
    dns.set('_outpost-verify.acme.test', { TXT: [ownershipRecord(claim.body)!.value] });
    await outpost.reverifyDomains();
    assert.equal((await get('acme.test', previous.apiKey)).body.status, 'pending');
    assert.equal((await verify('acme.test', next.apiKey)).body.status, 'verified');
    assert.equal((await send('news@acme.test', next.apiKey)).status, 200);
    assert.equal((await send('news@acme.test', previous.apiKey)).body.code, 'domain_not_verified');
    assert.equal((await verify('acme.test', previous.apiKey)).body.status, 'pending', 'its token is gone: it proves nothing now');
  });

  it('expires a claim not verified within OUTPOST_DOMAIN_CLAIM_EXPIRY; a verified one stays', async () => {
    const outpost = await start({ OUTPOST_DOMAIN_CLAIM_EXPIRY: '2s' });
    const { apiKey } = await createAccount(outpost);
    const stale = await add('stale.test', apiKey);
    assert.equal(stale.status, 201);
    assert.equal(Date.parse(stale.body.expires_at!) - Date.parse(stale.body.created_at), 2000);
    const kept = await add('kept.test', apiKey);
    publishRecords(dns, kept.body);
    assert.equal((await verify('kept.test', apiKey)).body.status, 'verified');
    assert.equal((await get('kept.test', apiKey)).body.expires_at, null);

    const deadline = Date.now() + 10_000;
    while ((await get('stale.test', apiKey)).status === 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    const expired = await get('stale.test', apiKey);
    assert.equal(expired.status, 404, JSON.stringify(expired.body));
    publishRecords(dns, stale.body);
    assert.equal((await verify('stale.test', apiKey)).status, 404, 'an expired claim cannot be verified, even with its records published');
    await outpost.reverifyDomains();
    const listed = await request<{ items: DomainView[] }>(outpost, 'GET', '/v1/domains', { key: apiKey });
    assert.deepEqual(listed.body.items.map((item) => [item.domain, item.status]), [['kept.test', 'verified']]);
    assert.equal((await add('stale.test', apiKey)).status, 201, 'the account may claim it again');
  });

  it('derives each claim\'s token from the account and the domain: stable, and unlike any other account\'s', async () => {
    const outpost = await start();
    const first = await createAccount(outpost, 'first');
    const second = await createAccount(outpost, 'second');
    const token = async (domain: string, account: { apiKey: string }) => ownershipRecord((await add(domain, account.apiKey)).body)!;
    const mine = await token('acme.test', first);
    assert.equal(mine.type, 'TXT');
    assert.equal(mine.name, '_outpost-verify.acme.test');
    assert.match(mine.value, /^outpost-verification=[0-9a-f]{32}$/);
    assert.doesNotMatch(mine.value, new RegExp(first.id.slice(1)));
    assert.notEqual((await token('acme.test', second)).value, mine.value);
    assert.notEqual((await token('other.test', first)).value.slice(-32), mine.value.slice(-32));
    assert.equal((await request(outpost, 'DELETE', '/v1/domains/acme.test', { key: first.apiKey })).status, 204);
    assert.equal((await token('acme.test', first)).value, mine.value, 'published once, it stays valid if the domain is added again');
  });
});
