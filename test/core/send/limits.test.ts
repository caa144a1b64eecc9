/**
 * Destination limits hold for a backlog, including one recovered after a
 * restart: a deferred queue is retried within the per-domain connection limit
 * instead of flooding the destination.
 */
import assert from 'node:assert/strict';
import { definePlugin } from '../../../core/plugins/plugin-api.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, rawMessage, startOutpost, type TestOutpost } from '../../support/outpost.js';

describe('destination concurrency limits', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  const running: TestOutpost[] = [];

  afterEach(async () => {
    for (const server of running.splice(0)) await server.outpost.stop(1000);
    await mx.close();
    await dns.close();
  });

  it('retries a recovered backlog of 30 messages with at most 2 attempts at a time to the domain', async () => {
    let acceptAll = false;
    mx = await startMxServer({ rcptReply: () => (acceptAll ? undefined : '451 4.3.0 not yet') });
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
    const dataDir = await makeDataDir();

    const first = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir, env: { OUTPOST_RETRY_SCHEDULE: '300ms' } });
    running.push(first);
    // recipients, not events: under load the first ones are retried (300ms) before the last is tried once
    const deferred = new Set<string>();
    first.outpost.events.on('recipient:deferred', (event) => void deferred.add(event.recipient));
    for (let index = 0; index < 30; index++) {
      const to = [`user${index}@dest.test`];
      await first.outpost.submit({ from: 'a@outpost.test', to, raw: rawMessage({ from: 'a@outpost.test', to }), source: 'internal' });
    }
    const deadline = Date.now() + 10_000;
    while (deferred.size < 30 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(deferred.size, 30, 'every message was deferred at least once');
    await first.outpost.stop(1000);
    running.splice(0);

    acceptAll = true;
    let inFlight = 0;
    let mostInFlight = 0;
    let delivered = 0;
    const meter = definePlugin({
      name: 'concurrency-meter',
      register(api) {
        api.addHook('delivery:before', () => {
          inFlight++;
          mostInFlight = Math.max(mostInFlight, inFlight);
        });
        api.on('recipient:delivered', () => {
          inFlight--;
          delivered++;
        });
      },
    });
    const second = await startOutpost({
      dnsAddress: dns.address,
      deliveryPort: mx.port,
      dataDir,
      plugins: [meter],
      env: { OUTPOST_RETRY_SCHEDULE: '300ms' },
      tune: (config) => void (config.delivery.maxConnectionsPerDomain = 2),
    });
    running.push(second);
    const drained = Date.now() + 15_000;
    while (delivered < 30 && Date.now() < drained) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(delivered, 30);
    assert.ok(mostInFlight <= 2, `${mostInFlight} attempts ran at once`);
    assert.equal(mostInFlight, 2, 'both slots were used');
  });
});
