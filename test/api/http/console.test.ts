/**
 * The web console in Debian's Chromium (driven by playwright-core), against a
 * real Outpost with a test DNS server and a scripted destination MX: sign in
 * with an API key, add a domain and see its records, verify it, follow a sent
 * message's timeline, search by recipient, remove a suppression, read the
 * overview's chart and counts, add a webhook, rotate the key, the admin's
 * accounts page. Each page is screenshotted at a desktop and a phone size
 * (test-output/console/) and checked by axe-core (from node_modules, no CDN)
 * for serious violations. And: another account's domains, messages and
 * suppressions never show, a change without the CSRF token is refused, the
 * CSP header is on every page and the key is never in a URL or a page.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain, publishRecords } from '../../support/domains.js';
import { createAccount, request } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { startWebhookReceiver } from '../../support/webhook-receiver.js';
import { allFinal, startOutpost, TEST_ADMIN_KEY, waitForStatus, type TestOutpost } from '../../support/outpost.js';
import { REPO_ROOT } from '../../support/outpost-process.js';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = path.join(REPO_ROOT, 'test-output', 'console');
const AXE_SOURCE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const VIEWPORTS = { desktop: { width: 1280, height: 900 }, phone: { width: 390, height: 844 } } as const;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

describe('web console (/ui) in Chromium', function () {
  this.timeout(120_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost;
  let base: string;
  let account: { id: string; apiKey: string };
  let other: { id: string; apiKey: string };
  let otherMessageId: string;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  /** Every URL the browser asked for, to check no key was ever in one. */
  const urlsRequested: string[] = [];
  /** Console messages of the pages (a CSP violation would show here). */
  const consoleErrors: string[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium is not installed at ${CHROMIUM}: apt-get install chromium (.ci/run does)`);
    await mkdir(SCREENSHOTS, { recursive: true });
    mx = await startMxServer({ tls: true, rcptReply: (address) => (address.startsWith('nobody@') ? '550 5.1.1 no such user' : undefined) });
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port });
    base = `http://${server.outpost.httpAddress}`;
    account = await createAccount(server.outpost, 'Acme Mail');
    other = await createAccount(server.outpost, 'Other Co');

    // the other account: a domain, a message and a suppression the first must never see
    await addVerifiedDomain(server.outpost, dns, other.apiKey, 'other.test');
    const sent = await request<{ id: string }>(server.outpost, 'POST', '/v1/mail/send', {
      key: other.apiKey,
      json: { from: 'hello@other.test', to: ['shared@dest.test'], subject: 'Other company secret', text: 'hi' },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    otherMessageId = sent.body.id;
    await waitForStatus(server.outpost, otherMessageId, allFinal);
    assert.equal((await request(server.outpost, 'POST', '/v1/suppressions', { key: other.apiKey, json: { address: 'theirs@dest.test' } })).status, 201);

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    context = await browser.newContext({ viewport: VIEWPORTS.desktop });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    page = await context.newPage();
    page.on('request', (sentRequest) => urlsRequested.push(sentRequest.url()));
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
    await mx?.close();
    await dns?.close();
  });

  /** Screenshots the page at both sizes and checks it with axe-core; no serious or critical violation may remain. */
  async function lookAt(name: string): Promise<void> {
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      // the chart follows its container's width
      await page.waitForTimeout(100);
      await page.screenshot({ path: path.join(SCREENSHOTS, `${name}-${size}.png`), fullPage: true });
      const violations = await axeViolations();
      const serious = violations.filter((violation) => violation.impact === 'serious' || violation.impact === 'critical');
      assert.deepEqual(serious.map((violation) => `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`), [], `${name} at ${size} size`);
    }
    await page.setViewportSize(VIEWPORTS.desktop);
  }

  async function axeViolations(): Promise<AxeViolation[]> {
    // evaluated over the DevTools protocol, which the page's CSP does not govern: the page itself may load no such script
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(await readFile(AXE_SOURCE, 'utf8'));
    return page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run: (context: Document, options: object) => Promise<{ violations: AxeViolation[] }> } }).axe;
      return (await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] } })).violations;
    });
  }

  /** A record's box on the domain page, by its heading (DKIM, DMARC...). */
  const recordBox = (purpose: string) => page.locator('.record').filter({ has: page.getByRole('heading', { name: new RegExp(`^${purpose} `) }) });

  async function cookieHeader(): Promise<string> {
    return (await context.cookies(`${base}/ui`)).map((cookie) => `${cookie.name}=${cookie.value}`).join('; ');
  }

  it('signs in with the API key: a session cookie (HttpOnly, SameSite=Strict), the key in no URL and no page', async () => {
    const answer = await page.goto(`${base}/ui`);
    assert.equal(new URL(page.url()).pathname, '/ui/sign-in', 'signed out, the console asks to sign in');
    assert.ok(answer);
    await lookAt('sign-in');
    await page.getByLabel('API key or admin key').fill('op_a00000000000000000000_wrongwrongwrongwrongwrongwrongwrongwrongwro');
    await page.getByRole('button', { name: 'Sign in' }).click();
    assert.match(await page.getByRole('alert').innerText(), /not accepted/);
    await page.getByLabel('API key or admin key').fill(account.apiKey);
    await Promise.all([page.waitForURL(`${base}/ui`), page.getByRole('button', { name: 'Sign in' }).click()]);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Overview');
    assert.match(await page.locator('.who').innerText(), /Acme Mail/);

    const session = (await context.cookies(`${base}/ui`)).find((cookie) => cookie.name === 'outpost_console')!;
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(session.path, '/ui');
    assert.ok(!session.value.includes(account.apiKey.slice(-20)));
    assert.ok(!(await page.content()).includes(account.apiKey.slice(-20)), 'the key is not in the page');
  });

  it('adds a domain and shows each record to publish with a copy button, then its live status after Verify', async () => {
    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    await page.getByLabel('Domain name').fill('not a domain');
    await page.getByRole('button', { name: 'Add domain' }).click();
    assert.match(await page.getByRole('alert').innerText(), /"not a domain" is not a domain name/, 'a refusal comes back to the form');
    assert.equal(new URL(page.url()).pathname, '/ui/domains');
    await page.getByLabel('Domain name').fill('acme.test');
    await page.getByRole('button', { name: 'Add domain' }).click();
    await page.waitForURL(`${base}/ui/domains/acme.test`);
    assert.match(await page.getByRole('status').innerText(), /acme\.test was added/);
    const names = await page.locator('.record code[id$="-name"]').allInnerTexts();
    assert.ok(names.includes('acme.test') && names.includes('_dmarc.acme.test') && names.some((name) => name.endsWith('._domainkey.acme.test')), names.join(', '));
    assert.deepEqual(new Set(await page.locator('[data-record-status]').allInnerTexts()), new Set(['unchecked']));
    // the copy button puts the value on the clipboard
    const dkimValue = await recordBox('DKIM').locator('code.value').innerText();
    await page.getByRole('button', { name: 'Copy the value of the DKIM record' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), dkimValue);

    // nothing published yet: Verify names what is missing
    await page.getByRole('button', { name: 'Verify now' }).click();
    assert.match(await page.getByRole('alert').innerText(), /not verified yet/);
    assert.ok((await page.locator('[data-record-status]').allInnerTexts()).includes('missing'));
    await lookAt('domain-pending');

    // published, with a second DMARC record making it wrong: it says what was found instead
    const view = await request<Parameters<typeof publishRecords>[1]>(server.outpost, 'GET', '/v1/domains/acme.test', { key: account.apiKey });
    publishRecords(dns, view.body);
    const dmarcValue = view.body.dns_records.find((record) => record.name === '_dmarc.acme.test')!.value;
    dns.set('_dmarc.acme.test', { TXT: [dmarcValue, 'v=DMARC1; p=reject'] });
    await page.getByRole('button', { name: 'Verify now' }).click();
    const dmarc = recordBox('DMARC');
    assert.equal(await dmarc.locator('[data-record-status]').innerText(), 'wrong');
    assert.match(await dmarc.innerText(), /Found\s+v=DMARC1; p=none.*\s+v=DMARC1; p=reject\s+What to do\s+2 DMARC records/s);
    dns.set('_dmarc.acme.test', { TXT: [dmarcValue] });
    await page.getByRole('button', { name: 'Verify now' }).click();
    assert.match(await page.getByRole('status').innerText(), /acme\.test is verified/);
    assert.equal(await page.locator('.badge').first().innerText(), 'verified');
    await lookAt('domain-verified');

    await page.getByRole('button', { name: 'Rotate DKIM key' }).click();
    assert.match(await page.getByRole('status').innerText(), /new DKIM key/);
    assert.equal(await recordBox('DKIM').count(), 2, 'the new key\'s record is listed beside the current one');

    await page.getByRole('link', { name: 'Domains', exact: true }).click();
    assert.deepEqual(await page.locator('tbody th').allInnerTexts(), ['acme.test'], 'only this account\'s domains');
    await lookAt('domains');
    assert.equal((await page.goto(`${base}/ui/domains/other.test`))!.status(), 404, 'another account\'s domain is not found');
    assert.equal((await request(server.outpost, 'GET', '/v1/domains/other.test', { key: account.apiKey })).status, 404, 'nor on the API');
  });

  it('shows a delivered message\'s timeline per recipient: queued, the attempt with MX, IP, TLS and reply, the bounce reason', async () => {
    await request(server.outpost, 'POST', '/v1/suppressions', { key: account.apiKey, json: { address: 'gone@dest.test' } });
    const sent = await request<{ id: string }>(server.outpost, 'POST', '/v1/mail/send', {
      key: account.apiKey,
      json: { from: 'news@acme.test', to: ['alice@dest.test', 'nobody@dest.test', 'gone@dest.test'], subject: 'Welcome <aboard> & "more"', text: 'Hello', tags: ['welcome'] },
    });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    await waitForStatus(server.outpost, sent.body.id, allFinal);

    await page.getByRole('link', { name: 'Messages', exact: true }).click();
    assert.deepEqual(await page.locator('#messages tbody th').allInnerTexts(), ['Welcome <aboard> & "more"'], 'the subject is shown as text, and only this account\'s message');
    await lookAt('messages');
    await page.getByRole('link', { name: 'Welcome <aboard> & "more"' }).click();
    await page.waitForURL(`${base}/ui/messages/${sent.body.id}`);
    const alice = page.locator('section.recipient', { hasText: 'alice@dest.test' });
    assert.equal(await alice.locator('h2 .badge').innerText(), 'delivered');
    const timeline = await alice.locator('.timeline').innerText();
    assert.match(timeline, /Queued/);
    assert.match(timeline, /Delivered/);
    assert.match(timeline, /MX\s+mx\.dest\.test/);
    assert.match(timeline, new RegExp(`IP\\s+127\\.0\\.0\\.1:${mx.port}`));
    assert.match(timeline, /TLS\s+TLSv1\.[23] /);
    assert.match(timeline, /Reply\s+250/);
    const nobody = page.locator('section.recipient', { hasText: 'nobody@dest.test' });
    assert.equal(await nobody.locator('h2 .badge').innerText(), 'bounced');
    assert.match(await nobody.innerText(), /userunknown \(hard\)/);
    assert.match(await nobody.innerText(), /550 5\.1\.1 no such user/);
    assert.equal(await page.locator('section.recipient', { hasText: 'gone@dest.test' }).locator('h2 .badge').innerText(), 'suppressed');
    await lookAt('message');
  });

  it('searches messages by recipient', async () => {
    await page.goto(`${base}/ui/messages`);
    await page.getByLabel('Recipient').fill('alice@dest.test');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.equal(await page.locator('#messages tbody tr').count(), 1);
    assert.equal(new URL(page.url()).searchParams.get('recipient'), 'alice@dest.test');
    await page.getByLabel('Recipient').fill('shared@dest.test');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.equal(await page.getByRole('status').innerText(), 'No message matches.', 'the other account\'s message to that address is not found');
    await page.getByLabel('Recipient').fill('alice@dest.test');
    await page.getByLabel('Status').selectOption('bounced');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.equal(await page.locator('#messages tbody tr').count(), 0, 'alice was delivered, not bounced');
    await lookAt('messages-search');

    const elsewhere = await page.goto(`${base}/ui/messages/${otherMessageId}`);
    assert.equal(elsewhere!.status(), 404, 'another account\'s message is not found');
    assert.ok(!(await page.content()).includes('Other company secret'));
    assert.equal((await request(server.outpost, 'GET', `/v1/mail/messages/${otherMessageId}`, { key: account.apiKey })).status, 404, 'nor on the API');
    const listed = await request<{ items: unknown[] }>(server.outpost, 'GET', '/v1/mail/messages?recipient=shared%40dest.test', { key: account.apiKey });
    assert.deepEqual(listed.body.items, []);
  });

  it('lists, searches, adds and removes suppressions; the other account\'s stay out of reach', async () => {
    await page.getByRole('link', { name: 'Suppressions', exact: true }).click();
    assert.deepEqual(new Set(await page.locator('#suppressions tbody th').allInnerTexts()), new Set(['gone@dest.test', 'nobody@dest.test']), 'added by hand, and the hard bounce');
    await page.getByLabel('Add an address').fill('Later@Dest.test');
    await page.getByRole('button', { name: 'Suppress' }).click();
    assert.match(await page.getByRole('status').first().innerText(), /later@dest\.test is suppressed/);
    await page.getByLabel('Search addresses').fill('later');
    await page.getByRole('button', { name: 'Search' }).click();
    assert.deepEqual(await page.locator('#suppressions tbody th').allInnerTexts(), ['later@dest.test']);
    await lookAt('suppressions');
    await page.goto(`${base}/ui/suppressions`);
    await page.getByRole('button', { name: 'Remove gone@dest.test' }).click();
    assert.match(await page.getByRole('status').first().innerText(), /gone@dest\.test was removed/);
    assert.deepEqual(new Set(await page.locator('#suppressions tbody th').allInnerTexts()), new Set(['later@dest.test', 'nobody@dest.test']));
    assert.equal((await request(server.outpost, 'GET', '/v1/suppressions/gone%40dest.test', { key: account.apiKey })).status, 404, 'gone from the API too');

    // a hand-made form posting the other account's address removes nothing of theirs
    const csrf = await page.locator('input[name=_csrf]').first().inputValue();
    const answer = await fetch(`${base}/ui/suppressions/remove`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: await cookieHeader() },
      body: new URLSearchParams({ _csrf: csrf, address: 'theirs@dest.test' }),
      redirect: 'manual',
    });
    assert.equal(answer.status, 303);
    assert.equal((await request(server.outpost, 'GET', '/v1/suppressions/theirs%40dest.test', { key: other.apiKey })).status, 200, 'the other account\'s entry is still there');
    assert.equal((await request(server.outpost, 'GET', '/v1/suppressions/theirs%40dest.test', { key: account.apiKey })).status, 404);
  });

  it('refuses a change without the CSRF token, and every page carries the CSP header', async () => {
    const cookie = await cookieHeader();
    for (const body of [new URLSearchParams({ address: 'sneaky@dest.test' }), new URLSearchParams({ address: 'sneaky@dest.test', _csrf: 'made-up-token' })]) {
      const refused = await fetch(`${base}/ui/suppressions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body, redirect: 'manual' });
      assert.equal(refused.status, 403);
      assert.match(await refused.text(), /CSRF/);
    }
    assert.equal((await request(server.outpost, 'GET', '/v1/suppressions/sneaky%40dest.test', { key: account.apiKey })).status, 404, 'nothing was added');
    const signIn = await fetch(`${base}/ui/sign-in`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ key: account.apiKey }), redirect: 'manual' });
    assert.equal(signIn.status, 403, 'signing in needs the form\'s token too');
    assert.ok(!signIn.headers.get('set-cookie')?.includes('outpost_console='), 'and starts no session');

    for (const pathname of ['/ui', '/ui/domains', '/ui/messages', '/ui/suppressions', '/ui/webhooks', '/ui/api-key', '/ui/sign-in', '/ui/nowhere']) {
      const answer = await fetch(`${base}${pathname}`, { headers: { cookie }, redirect: 'manual' });
      const policy = answer.headers.get('content-security-policy') ?? '';
      assert.match(policy, /default-src 'none'/, pathname);
      assert.match(policy, /script-src 'self'(;|$)/, pathname);
      assert.match(policy, /frame-ancestors 'none'/, pathname);
      assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval|https?:/, pathname);
      assert.equal(answer.headers.get('x-content-type-options'), 'nosniff');
    }
    const page404 = await fetch(`${base}/ui/assets/..%2f..%2fpackage.json`);
    assert.equal(page404.status, 404, 'only allow-listed files are served');
    assert.equal((await fetch(`${base}/ui/assets/uPlot.esm.js`)).status, 200);
  });

  it('shows the overview: the day\'s counts, the chart, and the rates against the pause thresholds', async () => {
    // the counts are written to the store about once a second
    const deadline = Date.now() + 10_000;
    for (;;) {
      await page.goto(`${base}/ui?range=7d`);
      if ((await page.locator('[data-figure=delivered]').innerText()) === '1' || Date.now() > deadline) break;
      await page.waitForTimeout(200);
    }
    const figure = (name: string) => page.locator(`[data-figure=${name}]`).innerText();
    assert.deepEqual(
      { accepted: await figure('accepted'), delivered: await figure('delivered'), bounced: await figure('bounced'), suppressed: await figure('suppressed') },
      { accepted: '2', delivered: '1', bounced: '1', suppressed: '1' },
    );
    await page.locator('[data-chart][data-drawn=true] canvas').waitFor();
    assert.deepEqual(await page.locator('.u-legend .u-label').allInnerTexts(), ['Delivered', 'Bounced', 'Complained', 'Opened', 'Clicked']);
    // the table under the chart: today's row holds the day's counts
    await page.getByText('The numbers, as a table').click();
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(await page.locator('#stats-table tbody tr').last().locator('th, td').allInnerTexts(), [today, '2', '1', '1', '0', '0', '0']);
    assert.equal(await page.locator('#stats-table tbody tr').count(), 7);
    assert.match(await page.getByText(/Hard bounce rate/).innerText(), /50% of a 10% threshold/);
    // the same numbers as GET /v1/stats
    const stats = await request<{ totals: Record<string, number> }>(server.outpost, 'GET', '/v1/stats?interval=day', { key: account.apiKey });
    assert.equal(stats.body.totals.delivered, 1);
    assert.equal(stats.body.totals.accepted, 2);
    await lookAt('overview');
    await page.goto(`${base}/ui?range=24h`);
    await page.locator('[data-chart][data-drawn=true] canvas').waitFor();
    await lookAt('overview-24h');
  });

  it('adds webhooks (each secret shown once), lists their recent deliveries and failures, deletes one', async () => {
    const receiver = await startWebhookReceiver();
    try {
      await page.goto(`${base}/ui/webhooks`);
      await page.getByLabel('URL').fill(receiver.url);
      for (const event of ['accepted', 'deferred', 'bounced', 'complained', 'opened', 'clicked', 'unsubscribed']) await page.getByLabel(event, { exact: true }).uncheck();
      await page.getByRole('button', { name: 'Add webhook' }).click();
      assert.match(await page.locator('#new-secret').innerText(), /^whsec_/);
      assert.match(await page.locator('section.webhook').innerText(), /Events: delivered ·/);
      // a second one nobody answers: its deliveries fail and wait for their retry
      await page.getByLabel('URL').fill('http://127.0.0.1:9/nobody-listens');
      await page.getByRole('button', { name: 'Add webhook' }).click();
      const listed = await request<{ items: { id: string }[] }>(server.outpost, 'GET', '/v1/webhooks', { key: account.apiKey });
      assert.equal(listed.body.items.length, 2);
      assert.equal((await request<{ items: unknown[] }>(server.outpost, 'GET', '/v1/webhooks', { key: other.apiKey })).body.items.length, 0, 'the other account has none');

      const sent = await request<{ id: string }>(server.outpost, 'POST', '/v1/mail/send', { key: account.apiKey, json: { from: 'news@acme.test', to: ['bob@dest.test'], subject: 'Hooked', text: 'hi' } });
      await waitForStatus(server.outpost, sent.body.id, allFinal);
      await receiver.waitFor(1);
      const failing = page.locator('section.webhook', { hasText: 'nobody-listens' });
      const deadline = Date.now() + 10_000;
      do {
        await page.goto(`${base}/ui/webhooks`);
      } while ((await failing.locator('tbody tr').count()) === 0 && Date.now() < deadline);
      assert.equal(await page.locator('#new-secret').count(), 0, 'a secret is not shown again');
      const working = page.locator('section.webhook', { hasText: receiver.url });
      assert.match(await working.locator('tbody tr').first().innerText(), /delivered\s+delivered\s+1\s+HTTP 200/);
      assert.match(await failing.locator('tbody tr').first().innerText(), /(accepted|delivered)\s+(pending|failed)\s+1\s+.*(ECONNREFUSED|refused|connect)/i);
      await lookAt('webhooks');
      await failing.getByRole('button', { name: /Delete the webhook/ }).click();
      assert.match(await page.getByRole('status').first().innerText(), /deleted/);
      assert.equal(await page.locator('section.webhook').count(), 1);
    } finally {
      await receiver.close();
    }
  });

  it('rotates the account\'s key: the new key shown once, the old one refused, this session kept', async () => {
    await page.goto(`${base}/ui/api-key`);
    await lookAt('api-key');
    await page.getByRole('button', { name: 'Rotate the API key' }).click();
    const newKey = await page.locator('#new-key').innerText();
    assert.match(newKey, new RegExp(`^op_${account.id}_`));
    assert.equal((await request(server.outpost, 'GET', '/v1/domains', { key: account.apiKey })).status, 401, 'the old key stopped working');
    assert.equal((await request(server.outpost, 'GET', '/v1/domains', { key: newKey })).status, 200);
    await page.goto(`${base}/ui/domains`);
    assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'Domains', 'still signed in');
    account = { ...account, apiKey: newKey };
  });

  it('never put a key in a URL, nor a console error (a CSP violation) on any page', () => {
    for (const url of urlsRequested) assert.ok(!url.includes('op_a'), url);
    // the wrong key's answer (401) and the pages asked for on purpose that are not there (404) are no failures
    assert.deepEqual(consoleErrors.filter((text) => !/status of (401|404)/.test(text)), []);
  });

  it('signs the admin in to the accounts page, and out', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(`${base}/ui/sign-in`);
    await page.getByLabel('API key or admin key').fill(TEST_ADMIN_KEY);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/ui/accounts`);
    assert.deepEqual(await page.locator('#accounts tbody th').allInnerTexts(), ['Acme Mail', 'Other Co']);
    await page.getByLabel('Name').fill('New Tenant');
    await page.getByRole('button', { name: 'Create account' }).click();
    const key = await page.locator('#new-key').innerText();
    assert.equal((await request(server.outpost, 'GET', '/v1/domains', { key })).status, 200, 'the new account\'s key works');
    await lookAt('accounts');
    await page.getByRole('button', { name: 'Disable Other Co' }).click();
    assert.match(await page.getByRole('status').first().innerText(), /Other Co is disabled/);
    assert.equal((await request(server.outpost, 'GET', '/v1/domains', { key: other.apiKey })).status, 403);
    const accountPage = await page.goto(`${base}/ui/domains`);
    assert.equal(new URL(accountPage!.url()).pathname, '/ui/accounts', 'the admin has no account pages');
  });
});

describe('web console settings', () => {
  let dns: TestDnsServer;
  before(async () => {
    dns = await startDnsServer({});
  });
  after(() => dns.close());

  it('OUTPOST_CONSOLE=off leaves /ui out: 404, and the API works as before', async () => {
    const server = await startOutpost({ dnsAddress: dns.address, deliveryPort: 25, env: { OUTPOST_CONSOLE: 'off' } });
    try {
      const answer = await fetch(`http://${server.outpost.httpAddress}/ui/sign-in`);
      assert.equal(answer.status, 404);
      assert.equal(answer.headers.get('content-security-policy'), null);
      assert.equal((await fetch(`http://${server.outpost.httpAddress}/ui/assets/console.js`)).status, 404);
      assert.equal((await fetch(`http://${server.outpost.httpAddress}/health`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('marks the cookies Secure when the console is served over HTTPS (OUTPOST_PUBLIC_URL https, TLS ended by a proxy)', async () => {
    const server = await startOutpost({ dnsAddress: dns.address, deliveryPort: 25, env: { OUTPOST_PUBLIC_URL: 'https://mail.example.test' } });
    try {
      const answer = await fetch(`http://${server.outpost.httpAddress}/ui/sign-in`);
      assert.equal(answer.status, 200);
      const cookie = answer.headers.get('set-cookie') ?? '';
      assert.match(cookie, /^outpost_console_sign_in=[^;]+; path=\/ui;/);
      for (const attribute of ['secure', 'samesite=strict', 'httponly']) assert.ok(cookie.split('; ').includes(attribute), `${attribute} in ${cookie}`);
      const plain = await startOutpost({ dnsAddress: dns.address, deliveryPort: 25 });
      try {
        const overHttp = await fetch(`http://${plain.outpost.httpAddress}/ui/sign-in`);
        assert.doesNotMatch(overHttp.headers.get('set-cookie') ?? '', /secure/i, 'served over plain HTTP, a Secure cookie would never come back');
      } finally {
        await plain.close();
      }
    } finally {
      await server.close();
    }
  });
});
