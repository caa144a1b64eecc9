/**
 * Sending domains against a real DNS server: the records Outpost asks for,
 * per-record verification results, sender enforcement, DKIM signatures that
 * verify (with DMARC alignment) at the destination, and key rotation.
 */
import assert from 'node:assert/strict';
import { authenticate } from 'mailauth';
import { createDnsResolver } from '../../../core/dns-resolver.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { publishRecords } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

const SENDING_IP = '203.0.113.7';

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
  dkim: { selector: string; next_selector: string | null };
  dns_records: DnsRecordView[];
  defaults: Record<string, boolean>;
}

describe('sending domains', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let key: string;

  beforeEach(async () => {
    mx = await startMxServer();
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env: { OUTPOST_SENDING_IPS: SENDING_IP } });
    key = (await createAccount(server.outpost)).apiKey;
  });

  afterEach(async () => {
    await server.close();
    await mx.close();
    await dns.close();
  });

  const addDomain = async (domain = 'acme.test', apiKey = key) => {
    const response = await request<DomainView>(server.outpost, 'POST', '/v1/domains', { key: apiKey, json: { domain } });
    assert.equal(response.status, 201, JSON.stringify(response.body));
    return response.body;
  };
  const verify = async (domain = 'acme.test', apiKey = key) => (await request<DomainView>(server.outpost, 'POST', `/v1/domains/${domain}/verify`, { key: apiKey })).body;
  const recordOf = (view: DomainView, purpose: string) => view.dns_records.find((record) => record.purpose === purpose)!;

  /** Publishes every record of `view` in the test DNS, as the owner would, except `skip` purposes. */
  function publish(view: DomainView, skip: string[] = []): void {
    publishRecords(dns, { ...view, dns_records: view.dns_records.filter((record) => !skip.includes(record.purpose)) });
  }

  const send = (from: string, apiKey = key, extra: Record<string, unknown> = {}) =>
    request<{ id: string; code?: string; message?: string }>(server.outpost, 'POST', '/v1/mail/send', {
      key: apiKey,
      json: { from, to: ['user@dest.test'], subject: 'Hello', text: 'Hi there.', ...extra },
    });

  it('answers a new domain with every record to publish, pending until verified', async () => {
    const view = await addDomain('Acme.Test');
    assert.equal(view.domain, 'acme.test');
    assert.equal(view.status, 'pending');
    assert.equal(Date.parse(view.expires_at!) - Date.parse(view.created_at), 7 * 86_400_000, 'removed unless verified within OUTPOST_DOMAIN_CLAIM_EXPIRY');
    const byPurpose = Object.fromEntries(view.dns_records.map((record) => [record.purpose, record]));
    assert.deepEqual(Object.keys(byPurpose).sort(), ['dkim', 'dmarc', 'ownership', 'return_path_mx', 'return_path_spf', 'spf']);
    assert.match(byPurpose.ownership!.value, /^outpost-verification=[0-9a-f]{32}$/);
    assert.deepEqual({ ...byPurpose.ownership, value: undefined }, { purpose: 'ownership', type: 'TXT', name: '_outpost-verify.acme.test', value: undefined, status: 'unchecked' });
    assert.deepEqual(byPurpose.spf, { purpose: 'spf', type: 'TXT', name: 'acme.test', value: `v=spf1 ip4:${SENDING_IP} ~all`, status: 'unchecked' });
    assert.equal(byPurpose.dkim!.name, `${view.dkim.selector}._domainkey.acme.test`);
    assert.match(byPurpose.dkim!.value, /^v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA[A-Za-z0-9+/=]+$/);
    assert.match(byPurpose.dmarc!.value, /^v=DMARC1; p=none;/);
    assert.equal(byPurpose.dmarc!.name, '_dmarc.acme.test');
    assert.deepEqual({ ...byPurpose.return_path_mx, status: undefined }, { purpose: 'return_path_mx', type: 'MX', name: 'bounce.acme.test', value: 'outpost.test', priority: 10, status: undefined });
    for (const record of view.dns_records) assert.doesNotMatch(record.name, /\.$/);
  });

  it('reports each unpublished record as missing, and verifies once all are published', async () => {
    const added = await addDomain();
    const pending = await verify();
    assert.equal(pending.status, 'pending');
    for (const record of pending.dns_records) {
      assert.equal(record.status, 'missing', record.name);
      assert.ok(record.reason && record.reason.includes(record.name), record.reason);
    }
    publish(added);
    const verified = await verify();
    assert.equal(verified.status, 'verified', JSON.stringify(verified.dns_records, null, 1));
    assert.ok(verified.dns_records.every((record) => record.status === 'ok'));
    assert.equal(verified.expires_at, null, 'a verified domain no longer expires');
  });

  it('verifies nothing without the account\'s verification token, even with every other record published', async () => {
    const view = await addDomain();
    publish(view, ['ownership']);
    dns.set('_outpost-verify.acme.test', { TXT: ['outpost-verification=0123456789abcdef0123456789abcdef'] });
    const result = await verify();
    assert.equal(result.status, 'pending');
    assert.ok(result.dns_records.filter((record) => record.purpose !== 'ownership').every((record) => record.status === 'ok'));
    const ownership = recordOf(result, 'ownership');
    assert.equal(ownership.status, 'wrong');
    assert.deepEqual(ownership.found, ['outpost-verification=0123456789abcdef0123456789abcdef']);
    assert.match(ownership.reason!, /not this account's; add the expected value/);
    assert.equal((await send('news@acme.test')).status, 422);
  });

  it('names a wrong DKIM key, a missing DMARC, SPF without the sending IP, and duplicate SPF records', async () => {
    const view = await addDomain();
    publish(view, ['dmarc']);
    const dkim = recordOf(view, 'dkim');
    dns.set(dkim.name, { TXT: ['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong'] });
    dns.set('acme.test', { TXT: ['v=spf1 ip4:198.51.100.1 -all'] });
    let result = await verify();
    assert.equal(result.status, 'pending');
    assert.match(recordOf(result, 'dkim').reason!, /DKIM key does not match/);
    assert.deepEqual(recordOf(result, 'dkim').found, ['v=DKIM1; k=rsa; p=MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwrong']);
    assert.equal(recordOf(result, 'dmarc').status, 'missing');
    assert.match(recordOf(result, 'spf').reason!, new RegExp(`SPF record does not authorise ${SENDING_IP.replaceAll('.', '\\.')}.*"fail"`));

    dns.set('acme.test', { TXT: [recordOf(view, 'spf').value, 'v=spf1 include:other.test -all'] });
    dns.set('_dmarc.acme.test', { TXT: ['v=DMARC1; rua=mailto:x@acme.test'] });
    result = await verify();
    assert.match(recordOf(result, 'spf').reason!, /2 SPF records/);
    assert.match(recordOf(result, 'dmarc').reason!, /DMARC record has no valid p= tag/);
  });

  it('applies the 10-lookup limit when evaluating SPF', async () => {
    const view = await addDomain();
    publish(view);
    const includes = Array.from({ length: 11 }, (_, index) => `include:spf${index}.acme.test`);
    dns.set('acme.test', { TXT: [`v=spf1 ${includes.join(' ')} ip4:${SENDING_IP} ~all`] });
    for (let index = 0; index < 11; index++) dns.set(`spf${index}.acme.test`, { TXT: ['v=spf1 ip4:198.51.100.9 -all'] });
    const result = await verify();
    assert.equal(recordOf(result, 'spf').status, 'wrong');
    assert.match(recordOf(result, 'spf').reason!, /permerror/);
  });

  it('refuses mail from an unverified domain and from another account\'s domain', async () => {
    await addDomain();
    const pending = await send('news@acme.test');
    assert.equal(pending.status, 422);
    assert.equal(pending.body.code, 'domain_not_verified');
    assert.match(pending.body.message!, /acme\.test is not a verified sending domain.*POST \/v1\/domains\/acme\.test\/verify/);

    const other = await createAccount(server.outpost, 'other');
    const view = await addDomain('other.test', other.apiKey);
    publish(view);
    assert.equal((await verify('other.test', other.apiKey)).status, 'verified');
    const foreign = await send('news@other.test');
    assert.equal(foreign.status, 422);
    assert.equal(foreign.body.code, 'domain_not_verified');
    assert.equal((await request(server.outpost, 'GET', '/v1/domains/other.test', { key })).status, 404);
    assert.equal(mx.messages.length, 0);
  });

  async function deliveredAuthentication(id: string) {
    const view = await waitForStatus(server.outpost, id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    const message = mx.messages.at(-1)!;
    const resolver = createDnsResolver([dns.address]);
    return authenticate(message.raw, {
      ip: SENDING_IP,
      helo: 'outpost.test',
      sender: message.mailFrom,
      mta: 'mx.dest.test',
      resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[]>,
    });
  }

  it('DKIM-signs delivered mail so that it verifies against the published key and DMARC passes aligned', async () => {
    const view = await addDomain();
    publish(view);
    assert.equal((await verify()).status, 'verified');
    const sent = await send('news@acme.test');
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const result = await deliveredAuthentication(sent.body.id);
    assert.equal(result.dkim.results[0]?.status.result, 'pass', JSON.stringify(result.dkim.results));
    assert.equal(result.dkim.results[0]?.signingDomain, 'acme.test');
    assert.equal(result.spf && result.spf.status.result, 'pass');
    assert.equal(result.dmarc && result.dmarc.status.result, 'pass');
    assert.match(mx.messages[0]!.mailFrom, new RegExp(`^bounce\\+${sent.body.id}\\.[0-9a-z]+\\.[a-z2-7]{10}@bounce\\.acme\\.test$`));
  });

  it('signs with an Ed25519 key when the domain asks for one (RFC 8463)', async () => {
    const response = await request<DomainView>(server.outpost, 'POST', '/v1/domains', { key, json: { domain: 'acme.test', dkim_algorithm: 'ed25519' } });
    assert.equal(response.status, 201);
    assert.match(recordOf(response.body, 'dkim').value, /^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$/);
    publish(response.body);
    assert.equal((await verify()).status, 'verified');
    const sent = await send('news@acme.test');
    const result = await deliveredAuthentication(sent.body.id);
    assert.equal(result.dkim.results[0]?.status.result, 'pass', JSON.stringify(result.dkim.results));
    assert.match(mx.messages[0]!.raw.toString(), /DKIM-Signature: [^]*a=ed25519-sha256/);
  });

  it('rotates the DKIM key without a moment of unverifiable mail', async () => {
    const view = await addDomain();
    publish(view);
    await verify();
    const oldSelector = view.dkim.selector;

    const rotating = (await request<DomainView>(server.outpost, 'POST', '/v1/domains/acme.test/dkim/rotate', { key })).body;
    assert.ok(rotating.dkim.next_selector && rotating.dkim.next_selector !== oldSelector);
    assert.equal(rotating.dns_records.filter((record) => record.purpose === 'dkim').length, 2);

    // not yet published: still signed, and verifiable, with the old key
    let sent = await send('news@acme.test');
    let result = await deliveredAuthentication(sent.body.id);
    assert.equal(result.dkim.results[0]?.status.result, 'pass');
    assert.equal(result.dkim.results[0]?.selector, oldSelector);
    assert.equal((await verify()).dkim.selector, oldSelector);

    publish(rotating);
    const switched = await verify();
    assert.equal(switched.status, 'verified');
    assert.equal(switched.dkim.selector, rotating.dkim.next_selector);
    assert.equal(switched.dkim.next_selector, null);

    sent = await send('news@acme.test');
    result = await deliveredAuthentication(sent.body.id);
    assert.equal(result.dkim.results[0]?.status.result, 'pass');
    assert.equal(result.dkim.results[0]?.selector, rotating.dkim.next_selector);

    dns.delete(`${oldSelector}._domainkey.acme.test`);
    assert.equal((await verify()).status, 'verified');
  });

  it('sends to pending and stops sending when a verified domain\'s records disappear', async () => {
    const view = await addDomain();
    publish(view);
    await verify();
    const lost: string[] = [];
    server.outpost.events.on('domain:unverified', ({ domain }) => void lost.push(domain));
    dns.delete('_dmarc.acme.test');
    await server.outpost.reverifyDomains();
    assert.deepEqual(lost, ['acme.test']);
    const current = (await request<DomainView>(server.outpost, 'GET', '/v1/domains/acme.test', { key })).body;
    assert.equal(current.status, 'pending');
    assert.equal((await send('news@acme.test')).status, 422);
  });

  it('applies per-domain defaults that a send can override', async () => {
    const view = await addDomain();
    publish(view);
    await verify();
    const patched = await request<DomainView>(server.outpost, 'PATCH', '/v1/domains/acme.test', { key, json: { test_mode: true } });
    assert.equal(patched.status, 200);
    assert.equal(patched.body.defaults.test_mode, true);
    const defaulted = await send('news@acme.test');
    assert.equal((await waitForStatus(server.outpost, defaulted.body.id, allFinal)).recipients[0]!.status, 'test');
    const overridden = await send('news@acme.test', key, { test_mode: false });
    assert.equal((await waitForStatus(server.outpost, overridden.body.id, allFinal)).recipients[0]!.status, 'delivered');
    assert.equal(mx.messages.length, 1);
  });

  it('refuses bad domain names, the account\'s own duplicates and unknown fields', async () => {
    for (const bad of ['not a domain', 'localhost', '-acme.test', 'acme..test']) {
      const response = await request(server.outpost, 'POST', '/v1/domains', { key, json: { domain: bad } });
      assert.equal(response.status, 400, bad);
      assert.equal(response.body.code, 'invalid_request');
    }
    await addDomain();
    const duplicate = await request(server.outpost, 'POST', '/v1/domains', { key, json: { domain: 'acme.test' } });
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.body.code, 'domain_exists');
    assert.match(String(duplicate.body.message), /acme\.test is already added; verify it/);
    const unknown = await request(server.outpost, 'PATCH', '/v1/domains/acme.test', { key, json: { tracking: true } });
    assert.equal(unknown.status, 400);
  });
});
