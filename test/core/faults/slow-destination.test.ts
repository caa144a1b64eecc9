/**
 * No head-of-line blocking: a destination that takes 30 s over each reply
 * holds only its own connections (at most maxConnectionsPerDomain), while mail
 * to another domain goes out at once. The slow MX listens on 127.0.0.2 at the
 * port of the normal MX on 127.0.0.1 (Outpost delivers to one port,
 * OUTPOST_DELIVERY_PORT, for every destination). The test never waits the
 * 30 s: it checks while the slow deliveries hang, then closes the slow MX and
 * stops Outpost.
 */
import assert from 'node:assert/strict';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { allFinal, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';
import { startStallingMx, type StallingMx } from '../../support/stalling-mx.js';

const SLOW_REPLY_MS = 30_000;
const PER_DOMAIN = 10;
/** More than the slow domain's connection limit, so some of its mail also waits in the queue. */
const SLOW_MESSAGES = 14;
/** Delivery to the healthy domain must not take longer than this while the slow one hangs. */
const FAST_DELIVERY_MS = 2_000;

describe('faults: a destination answering every 30 s does not delay other domains', function () {
  this.timeout(30_000);

  let dns: TestDnsServer | undefined;
  let mx: TestMxServer | undefined;
  let slow: StallingMx | undefined;
  let server: TestOutpost | undefined;

  afterEach(async () => {
    // the slow MX goes first so no session is left hanging on it
    await slow?.close();
    await server?.close();
    await mx?.close();
    await dns?.close();
    server = undefined;
    slow = undefined;
    mx = undefined;
    dns = undefined;
  });

  /** The healthy MX on 127.0.0.1 and the slow one on 127.0.0.2, on one port number. */
  async function startDestinations(delayGreeting: boolean): Promise<{ mx: TestMxServer; slow: StallingMx }> {
    let lastError: unknown;
    for (let attempt = 0; attempt < 5; attempt++) {
      const healthy = await startMxServer();
      try {
        return { mx: healthy, slow: await startStallingMx({ host: '127.0.0.2', port: healthy.port, replyDelayMs: SLOW_REPLY_MS, delayGreeting }) };
      } catch (error) {
        // that port number is taken on 127.0.0.2: try another
        lastError = error;
        await healthy.close();
      }
    }
    throw new Error(`no port free on both 127.0.0.1 and 127.0.0.2: ${String(lastError)}`);
  }

  async function waitUntil(condition: () => boolean, what: () => string, timeoutMs = 5_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting until ${what()}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  for (const delayGreeting of [true, false]) {
    const where = delayGreeting ? 'the greeting' : 'each reply after the greeting';
    it(`delivers to another domain within ${FAST_DELIVERY_MS} ms while the slow one holds ${where}`, async () => {
      ({ mx, slow } = await startDestinations(delayGreeting));
      const stalled = slow;
      dns = await startDnsServer({
        'slow.test': { MX: [{ exchange: 'mx.slow.test', priority: 10 }] },
        'mx.slow.test': { A: ['127.0.0.2'] },
        'fast.test': { MX: [{ exchange: 'mx.fast.test', priority: 10 }] },
        'mx.fast.test': { A: ['127.0.0.1'] },
      });
      server = await startOutpost({
        dnsAddress: dns.address,
        deliveryPort: mx.port,
        tune: (config) => {
          config.delivery.maxConnectionsPerDomain = PER_DOMAIN;
        },
      });
      const outpost = server.outpost;
      const submit = (to: string) => outpost.submit({ from: 'a@outpost.test', to: [to], raw: rawMessage({ from: 'a@outpost.test', to: [to] }), source: 'internal' });

      for (let index = 0; index < SLOW_MESSAGES; index++) await submit(`user${index}@slow.test`);
      await waitUntil(() => stalled.open === PER_DOMAIN, () => `the slow domain holds ${PER_DOMAIN} connections (open: ${stalled.open})`);

      const started = Date.now();
      const receipt = await submit('user@fast.test');
      const view = await waitForStatus(outpost, receipt.id, allFinal, FAST_DELIVERY_MS);
      const tookMs = Date.now() - started;

      assert.equal(view.recipients[0]!.status, 'delivered', JSON.stringify(view.recipients));
      assert.ok(tookMs < FAST_DELIVERY_MS, `delivered in ${tookMs} ms`);
      assert.equal(mx.messages.length, 1);
      // the slow deliveries are still hanging, within their domain's limit, and nothing got through there
      assert.equal(stalled.messages, 0);
      assert.equal(stalled.open, PER_DOMAIN);
      assert.equal(stalled.peakOpen, PER_DOMAIN, 'never more than the per-domain limit');
      // the fast attempt shows as delivered before it has finished removing its message, so it may still count a moment
      await waitUntil(() => outpost.activeDeliveries === PER_DOMAIN, () => `only the slow deliveries are active (active: ${outpost.activeDeliveries})`);
      assert.equal(outpost.queuedRecipients, SLOW_MESSAGES - PER_DOMAIN, 'the rest of the slow domain waits its turn in the queue');
    });
  }

  it('stops within its grace period while a destination hangs between its greeting and the EHLO reply', async () => {
    ({ mx, slow } = await startDestinations(false));
    const stalled = slow;
    dns = await startDnsServer({ 'slow.test': { MX: [{ exchange: 'mx.slow.test', priority: 10 }] }, 'mx.slow.test': { A: ['127.0.0.2'] } });
    const running = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
    server = running;
    await running.outpost.submit({ from: 'a@outpost.test', to: ['user@slow.test'], raw: rawMessage({ from: 'a@outpost.test', to: ['user@slow.test'] }), source: 'internal' });
    await waitUntil(() => stalled.open === 1, () => 'the delivery hangs at the slow MX');
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      running.outpost.stop(200).then(() => 'stopped'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still stopping'), 5_000))),
    ]);
    clearTimeout(timer);
    assert.equal(outcome, 'stopped', `stop(200) returned after ${Date.now() - started} ms`);
  });
});
