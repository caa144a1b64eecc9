/**
 * End-to-end delivery against real servers: a DNS server answering MX/A, a
 * scripted smtp-server as the destination MX, Outpost in process.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type MxServerOptions, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

describe('delivery to destination MX hosts', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;

  async function setUp(mxOptions: MxServerOptions = {}, env: Record<string, string> = {}): Promise<void> {
    mx = await startMxServer(mxOptions);
    dns = await startDnsServer({
      'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] },
      'mx.dest.test': { A: ['127.0.0.1'] },
    });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env });
  }

  afterEach(async () => {
    await server?.close();
    await mx?.close();
    await dns?.close();
  });

  function send(to: string[], extra: { subject?: string; body?: string } = {}) {
    return server.outpost.submit({ from: 'sender@outpost.test', to, raw: rawMessage({ from: 'sender@outpost.test', to, ...extra }), source: 'internal' });
  }

  it('retries a recipient answered 451 and delivers it on the second attempt, logging both attempts', async () => {
    await setUp({ rcptReply: (_address, attempt) => (attempt === 1 ? '451 4.3.0 try later' : undefined) });
    const receipt = await send(['user@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.equal(view.recipients[0]!.attempts, 2);
    const attempts = view.events.filter((event) => event.attempt);
    assert.deepEqual(attempts.map((event) => event.type), ['deferred', 'delivered']);
    assert.equal(attempts[0]!.attempt!.code, 451);
    assert.match(attempts[0]!.attempt!.response, /451 4\.3\.0 try later/);
    assert.equal(attempts[1]!.attempt!.code, 250);
    for (const { attempt } of attempts) {
      assert.equal(attempt!.mx, 'mx.dest.test');
      assert.equal(attempt!.ip, '127.0.0.1');
    }
    assert.equal(mx.messages.length, 1);
  });

  it('bounces a recipient still deferred when OUTPOST_MAX_QUEUE_TIME runs out', async () => {
    await setUp({ rcptReply: () => '451 4.3.0 try later' }, { OUTPOST_RETRY_SCHEDULE: '50ms', OUTPOST_MAX_QUEUE_TIME: '400ms' });
    const receipt = await send(['user@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'bounced');
    assert.ok(view.recipients[0]!.attempts >= 2, `${view.recipients[0]!.attempts} attempts`);
    assert.match(view.recipients[0]!.lastResponse!, /gave up after \d+ attempts .*OUTPOST_MAX_QUEUE_TIME.*451 4\.3\.0 try later/);
  });

  it('bounces a recipient answered "550 5.1.1" after one attempt, with that text', async () => {
    await setUp({ rcptReply: (address) => (address.startsWith('nobody') ? '550 5.1.1 no such user' : undefined) });
    const receipt = await send(['nobody@dest.test', 'user@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    const nobody = view.recipients.find((recipient) => recipient.address === 'nobody@dest.test')!;
    assert.equal(nobody.status, 'bounced');
    assert.equal(nobody.attempts, 1);
    assert.match(nobody.lastResponse!, /550 5\.1\.1 no such user/);
    assert.equal(view.recipients.find((recipient) => recipient.address === 'user@dest.test')!.status, 'delivered');
    assert.deepEqual(mx.messages.map((message) => message.rcptTo), [['user@dest.test']]);
  });

  it('fails over to the second MX when the first refuses connections', async () => {
    await setUp();
    // nothing listens on 127.0.0.2 at the MX port: connection refused
    dns.set('dest.test', { MX: [{ exchange: 'down.dest.test', priority: 5 }, { exchange: 'mx.dest.test', priority: 10 }] });
    dns.set('down.dest.test', { A: ['127.0.0.2'] });
    const receipt = await send(['user@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.equal(view.recipients[0]!.attempts, 1);
    assert.equal(view.events.find((event) => event.type === 'delivered')!.attempt!.mx, 'mx.dest.test');
  });

  it('delivers to the A record of a domain without MX (implicit MX)', async () => {
    await setUp();
    dns.set('plain.test', { A: ['127.0.0.1'] });
    const receipt = await send(['user@plain.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.equal(view.events.find((event) => event.type === 'delivered')!.attempt!.mx, 'plain.test');
  });

  it('bounces a domain with neither MX nor A, and a domain that does not exist, with clear reasons', async () => {
    await setUp();
    dns.set('empty.test', { TXT: ['v=spf1 -all'] });
    const receipt = await send(['user@empty.test', 'user@missing.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    const [empty, missing] = view.recipients;
    assert.equal(empty!.status, 'bounced');
    assert.match(empty!.lastResponse!, /^5\.1\.2 empty\.test has no MX and no A\/AAAA record/);
    assert.equal(missing!.status, 'bounced');
    assert.match(missing!.lastResponse!, /^5\.1\.2 domain missing\.test does not exist/);
    assert.equal(mx.connections, 0);
  });

  it('bounces at once for a null MX (RFC 7505)', async () => {
    await setUp();
    dns.set('nullmx.test', { MX: [{ exchange: '', priority: 0 }] });
    const receipt = await send(['user@nullmx.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'bounced');
    assert.equal(view.recipients[0]!.attempts, 1);
    assert.match(view.recipients[0]!.lastResponse!, /^5\.1\.10 .*does not accept mail \(null MX/);
  });

  it('refuses an MX resolving to 127.0.0.1 when OUTPOST_ALLOW_PRIVATE_TARGETS is false', async () => {
    await setUp({}, { OUTPOST_ALLOW_PRIVATE_TARGETS: 'false' });
    const receipt = await send(['user@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'bounced');
    assert.match(view.recipients[0]!.lastResponse!, /^5\.4\.4 .*mx\.dest\.test resolves to 127\.0\.0\.1 \(loopback\).*OUTPOST_ALLOW_PRIVATE_TARGETS/);
    assert.equal(mx.connections, 0);
  });

  it('sends 10 recipients on one domain in one SMTP transaction over one connection', async () => {
    await setUp();
    const recipients = Array.from({ length: 10 }, (_, index) => `user${index}@dest.test`);
    const receipt = await send(recipients);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.ok(view.recipients.every((recipient) => recipient.status === 'delivered'));
    assert.equal(mx.connections, 1);
    assert.equal(mx.transactions, 1);
    assert.deepEqual([...mx.messages[0]!.rcptTo].sort(), [...recipients].sort());
  });

  it('retries, not delivers, when the destination drops the connection after the final "." without replying', async () => {
    await setUp({ dropAfterData: (attempt) => attempt === 1 });
    const receipt = await send(['user@dest.test']);
    const firstDeferral = await waitForStatus(server.outpost, receipt.id, (view) => view.events.some((event) => event.type === 'deferred'));
    assert.notEqual(firstDeferral.events.find((event) => event.type === 'deferred')!.attempt!.code, 250);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.equal(view.recipients[0]!.attempts, 2);
    assert.equal(mx.messages.length, 1);
  });

  it('reuses the connection for the next message to the same domain', async () => {
    await setUp();
    const first = await send(['a@dest.test']);
    await waitForStatus(server.outpost, first.id, allFinal);
    const second = await send(['b@dest.test']);
    await waitForStatus(server.outpost, second.id, allFinal);
    assert.equal(mx.messages.length, 2);
    assert.equal(mx.connections, 1);
  });

  it('uses STARTTLS when offered and records the TLS protocol and cipher', async () => {
    await setUp({ tls: true });
    const receipt = await send(['user@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    const tls = view.events.find((event) => event.type === 'delivered')!.attempt!.tls;
    assert.ok(tls, 'attempt has TLS details');
    assert.match(tls.protocol, /^TLSv1\.[23]$/);
    assert.ok(tls.cipher.length > 0);
    assert.equal(mx.messages[0]!.tls, true);
  });

  it('defers a require_tls message when the destination offers no STARTTLS', async () => {
    await setUp();
    const to = ['user@dest.test'];
    const receipt = await server.outpost.submit({
      from: 'sender@outpost.test', to, raw: rawMessage({ from: 'sender@outpost.test', to }), source: 'internal', options: { requireTls: true },
    });
    const view = await waitForStatus(server.outpost, receipt.id, (current) => current.recipients[0]!.status === 'deferred');
    assert.match(view.recipients[0]!.lastResponse!, /^454 4\.7\.10 TLS is required for this message but .* does not offer STARTTLS/);
    assert.equal(mx.messages.length, 0);
  });
});
