/**
 * Open, click and unsubscribe tracking end to end: Outpost in process (its
 * HTTP listener is OUTPOST_PUBLIC_URL), a scripted destination MX, a real DNS
 * server, a webhook receiver, a "landing" site on loopback, and Debian's
 * Chromium driven by playwright-core opening the delivered HTML as a mail
 * client would. Also: flags off leave the message untouched, DKIM verifies the
 * rewritten message, a one-click POST unsubscribes, made-up tokens are 404.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { authenticate } from 'mailauth';
import { simpleParser } from 'mailparser';
import { chromium, type Browser } from 'playwright-core';
import { createDnsResolver } from '../../../core/dns-resolver.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { freePort } from '../../support/free-port.js';
import { allFinal, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';
import { REPO_ROOT } from '../../support/outpost-process.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';

const CHROMIUM = '/usr/bin/chromium';
/** A desktop browser's User-Agent: headless Chromium's own names itself HeadlessChrome, which tracking counts as a machine. */
const PERSON_USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';

/** Header lines unfolded (RFC 5322 2.2.3), so a long header reads as one line. */
function unfolded(raw: string): string {
  return raw.replace(/\r\n[ \t]+/g, ' ');
}
const SENDER = 'news@acme.test';

describe('tracking: opens, clicks, one-click unsubscribe', function () {
  this.timeout(60_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let account: { id: string; apiKey: string };
  let landing: http.Server;
  let landingUrl: string;
  let receiver: WebhookReceiver;

  before(async () => {
    landing = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>landed</title><p id="landed">${req.url}</p>`));
    await new Promise<void>((resolve) => landing.listen(0, '127.0.0.1', resolve));
    landingUrl = `http://127.0.0.1:${(landing.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => landing.close(() => resolve()));
  });

  beforeEach(async () => {
    mx = await startMxServer();
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
    // the links in mail must point at this server: its HTTP listener is the public URL, so its port is chosen first
    const httpPort = await freePort();
    server = await startOutpost({
      dnsAddress: dns.address,
      deliveryPort: mx.port,
      env: { OUTPOST_HTTP_PORT: String(httpPort), OUTPOST_PUBLIC_URL: `http://127.0.0.1:${httpPort}`, OUTPOST_TRACKING_MACHINE_WINDOW: '0s' },
    });
    account = await createAccount(server.outpost);
    await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
    receiver = await startWebhookReceiver();
    const added = await request(server.outpost, 'POST', '/v1/webhooks', { key: account.apiKey, json: { url: receiver.url, events: ['opened', 'clicked', 'unsubscribed'] } });
    assert.equal(added.status, 201, JSON.stringify(added.body));
  });

  afterEach(async () => {
    await server.close();
    await receiver.close();
    await mx.close();
    await dns.close();
  });

  const html = () =>
    `<!doctype html><html><body><p>Hello <a href="${landingUrl}/offer?x=1&amp;y=2" id="offer">see the offer</a>, ` +
    '<a href="mailto:help@acme.test">mail us</a>, <a href="#top">top</a>, ' +
    `<a href="${landingUrl}/private" data-outpost-track="off">not tracked</a>.</p></body></html>`;

  async function send(flags: Record<string, boolean>): Promise<{ id: string; raw: string }> {
    const sent = await request<{ id: string }>(server.outpost, 'POST', '/v1/mail/send', {
      key: account.apiKey,
      json: { from: SENDER, to: ['reader@dest.test'], subject: 'Offer', text: `Hello, see ${landingUrl}/text-link`, html: html(), ...flags },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await waitForStatus(server.outpost, sent.body.id, allFinal);
    return { id: sent.body.id, raw: mx.messages.at(-1)!.raw.toString() };
  }

  async function dkimResult(raw: string): Promise<string | undefined> {
    const resolver = createDnsResolver([dns.address]);
    const result = await authenticate(Buffer.from(raw), { ip: '127.0.0.1', helo: 'outpost.test', sender: SENDER, mta: 'mx.dest.test', resolver: (name: string, type: string) => resolver.resolve(name, type) as Promise<string[]> });
    return result.dkim.results[0]?.status.result;
  }

  it('rewrites links, adds the pixel and List-Unsubscribe with the flags on, and DKIM still verifies; leaves the message alone with them off', async () => {
    const plain = await send({});
    const parsedPlain = await simpleParser(plain.raw);
    assert.ok(String(parsedPlain.html).includes(`${landingUrl}/offer?x=1&amp;y=2`), 'flags off: the link is as written');
    assert.ok(!plain.raw.includes('/t/c/') && !plain.raw.includes('/t/o/') && !/^List-Unsubscribe/im.test(plain.raw));

    const tracked = await send({ open_tracking: true, click_tracking: true, text_click_tracking: true, unsubscribe_tracking: true });
    const parsed = await simpleParser(tracked.raw);
    const body = String(parsed.html);
    assert.match(body, /href="http:\/\/127\.0\.0\.1:\d+\/t\/c\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+" id="offer"/);
    assert.ok(body.includes('href="mailto:help@acme.test"') && body.includes('href="#top"') && body.includes(`href="${landingUrl}/private"`), 'mailto:, anchors and opted-out links stay');
    assert.match(body, /<img src="http:\/\/127\.0\.0\.1:\d+\/t\/o\/[^"]+" width="1" height="1"[^>]*><\/body>/);
    assert.match(String(parsed.text), /see http:\/\/127\.0\.0\.1:\d+\/t\/c\//);
    const headers = unfolded(tracked.raw);
    assert.match(headers, /^List-Unsubscribe: <http:\/\/127\.0\.0\.1:\d+\/t\/u\/[^>]+>, <mailto:unsubscribe\+[0-9a-z.]+@bounce\.acme\.test>\r$/m);
    assert.match(headers, /^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    assert.match(headers, /^DKIM-Signature:[^\r]*h=[^;]*List-Unsubscribe: List-Unsubscribe-Post/m, 'the signature covers List-Unsubscribe and List-Unsubscribe-Post');
    assert.equal(await dkimResult(tracked.raw), 'pass');
  });

  it('in Chromium: the open is recorded, a click lands on the original URL, the unsubscribe page unsubscribes; all in the log and at the webhook', async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
    const { id, raw } = await send({ open_tracking: true, click_tracking: true, unsubscribe_tracking: true });
    const parsed = await simpleParser(raw);
    const unsubscribeUrl = /<(http[^>]+\/t\/u\/[^>]+)>/.exec(String(parsed.headers.get('list-unsubscribe') ?? raw))![1]!;
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
      const page = await browser.newPage({ userAgent: PERSON_USER_AGENT });
      await page.setContent(String(parsed.html), { waitUntil: 'load' });
      await Promise.all([page.waitForURL(`${landingUrl}/offer?x=1&y=2`), page.click('#offer')]);
      assert.equal(await page.textContent('#landed'), '/offer?x=1&y=2', 'the click landed on the URL the sender wrote');

      await page.goto(unsubscribeUrl);
      assert.equal(await page.title(), 'Unsubscribe');
      const screenshots = path.join(REPO_ROOT, 'test-output');
      await mkdir(screenshots, { recursive: true });
      const shot = path.join(screenshots, 'unsubscribe-page.png');
      await page.screenshot({ path: shot });
      console.log(`      screenshot of the unsubscribe page: ${shot}`);
      await page.click('button[type=submit]');
      await page.waitForSelector('[role=status]');
      assert.match(String(await page.textContent('[role=status]')), /reader@dest\.test will get no more mail/);
    } finally {
      await browser?.close();
    }

    const deadline = Date.now() + 5000;
    let view = await request<{ events: { type: string; url?: string; machine?: boolean; method?: string }[]; engagement: Record<string, unknown> }>(server.outpost, 'GET', `/v1/mail/messages/${id}`, { key: account.apiKey });
    while (!view.body.events.some((event) => event.type === 'unsubscribed') && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      view = await request(server.outpost, 'GET', `/v1/mail/messages/${id}`, { key: account.apiKey });
    }
    const types = view.body.events.map((event) => event.type);
    assert.ok(types.includes('opened') && types.includes('clicked') && types.includes('unsubscribed'), JSON.stringify(types));
    assert.equal(view.body.events.find((event) => event.type === 'clicked')!.url, `${landingUrl}/offer?x=1&y=2`);
    assert.equal(view.body.events.find((event) => event.type === 'unsubscribed')!.method, 'page');
    assert.deepEqual(view.body.engagement, { opens: 1, machine_opens: 0, clicks: 1, links: [{ url: `${landingUrl}/offer?x=1&y=2`, clicks: 1 }], unsubscribes: 1 });
    const suppressed = await request<{ reason: string }>(server.outpost, 'GET', '/v1/suppressions/reader%40dest.test', { key: account.apiKey });
    assert.equal(suppressed.body.reason, 'unsubscribe');
    const hooks = await receiver.waitFor(3);
    assert.deepEqual(new Set(hooks.map((hook) => hook.json.type)), new Set(['opened', 'clicked', 'unsubscribed']));
  });

  it('unsubscribes on a one-click POST as a mailbox provider sends it, without a page', async () => {
    const { id, raw } = await send({ unsubscribe_tracking: true });
    const url = /^List-Unsubscribe: <(http[^>]+)>/m.exec(unfolded(raw))![1]!;
    const answer = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'List-Unsubscribe=One-Click' });
    assert.equal(answer.status, 200);
    const deadline = Date.now() + 5000;
    while ((await request(server.outpost, 'GET', '/v1/suppressions/reader%40dest.test', { key: account.apiKey })).status !== 200 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    const view = await request<{ events: { type: string; method?: string }[] }>(server.outpost, 'GET', `/v1/mail/messages/${id}`, { key: account.apiKey });
    assert.equal(view.body.events.find((event) => event.type === 'unsubscribed')?.method, 'one-click');
  });

  it('answers 404 with nothing more to 200 tampered or made-up tokens, never a 5xx', async () => {
    const { raw } = await send({ open_tracking: true, click_tracking: true });
    const real = /\/t\/c\/([^"]+)"/.exec(raw.replace(/=\r\n/g, '').replace(/=3D/g, '='))![1]!;
    const base = `http://${server.outpost.httpAddress}/t`;
    const statuses = new Map<number, number>();
    for (let index = 0; index < 200; index++) {
      const kind = ['o', 'c', 'u'][index % 3];
      let token = index % 2 === 0 ? `${real.slice(0, -2)}${randomBytes(1).toString('hex')}` : randomBytes(24).toString('base64url');
      if (token === real) token = `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`; // tampered means changed
      const answer = await fetch(`${base}/${kind}/${token}`, { redirect: 'manual' });
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      assert.doesNotMatch(await answer.text(), /acme|account|a[0-9a-f]{20}/i, 'an answer never names the sender');
    }
    assert.deepEqual([...statuses], [[404, 200]]);
  });
});
