/**
 * Graceful shutdown: new submissions are refused at once; a delivery in
 * flight finishes within the grace period and is recorded; one cut at the end
 * of the grace period stays queued and is delivered after the restart.
 */
import assert from 'node:assert/strict';
import { isOutpostError } from '../../core/errors.js';
import { startDnsServer, type TestDnsServer } from '../support/dns-server.js';
import { startMxServer, type TestMxServer } from '../support/mx-server.js';
import { allFinal, makeDataDir, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../support/outpost.js';

describe('graceful shutdown', () => {
  let dns: TestDnsServer;
  const mxServers: TestMxServer[] = [];
  const running: TestOutpost[] = [];

  beforeEach(async () => {
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
  });

  afterEach(async () => {
    for (const server of running.splice(0)) await server.close();
    for (const mx of mxServers.splice(0)) await mx.close();
    await dns.close();
  });

  async function startWith(mx: TestMxServer, dataDir: string): Promise<TestOutpost> {
    const server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir });
    running.push(server);
    return server;
  }

  const submit = (server: TestOutpost, to: string[]) =>
    server.outpost.submit({ from: 'a@outpost.test', to, raw: rawMessage({ from: 'a@outpost.test', to }), source: 'internal' });

  async function waitUntil(condition: () => boolean, what: string): Promise<void> {
    const deadline = Date.now() + 5000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it('refuses new submissions and lets the delivery in flight finish within the grace period', async () => {
    const mx = await startMxServer({ greetingDelayMs: 300 });
    mxServers.push(mx);
    const server = await startWith(mx, await makeDataDir());
    const receipt = await submit(server, ['user@dest.test']);
    await waitUntil(() => server.outpost.activeDeliveries === 1, 'the delivery is in flight');

    const stopped = server.outpost.stop(5000);
    await assert.rejects(submit(server, ['late@dest.test']), (error: unknown) => isOutpostError(error, 'shutting_down'));
    await stopped;
    assert.equal(mx.messages.length, 1);
    running.splice(0);
    const restarted = await startWith(mx, server.dataDir);
    assert.equal((await restarted.outpost.getMessage(receipt.id))!.recipients[0]!.status, 'delivered');
    assert.equal(restarted.outpost.queuedRecipients, 0);
  });

  it('leaves a delivery cut at the end of the grace period queued, and delivers it after the restart', async () => {
    const slow = await startMxServer({ greetingDelayMs: 3000 });
    mxServers.push(slow);
    const dataDir = await makeDataDir();
    const server = await startWith(slow, dataDir);
    const receipt = await submit(server, ['user@dest.test']);
    await waitUntil(() => server.outpost.activeDeliveries === 1, 'the delivery is in flight');
    await server.outpost.stop(100);
    running.splice(0);

    const fast = await startMxServer();
    mxServers.push(fast);
    const restarted = await startWith(fast, dataDir);
    const before = await restarted.outpost.getMessage(receipt.id);
    assert.equal(before!.recipients[0]!.attempts, 0, 'the cut attempt was not recorded as a failure');
    const view = await waitForStatus(restarted.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'delivered');
    assert.equal(fast.messages.length, 1);
    assert.equal(slow.messages.length, 0);
  });
});
