/**
 * SMTP AUTH against the real listener: the API key as password (PLAIN and
 * LOGIN, any user name or the account id), one reply and one timing for every
 * kind of failure, and throttling per client address and per account: a
 * growing delay, then a lockout (an address's refuses even the right key; an
 * account's refuses only wrong ones, so a stranger cannot lock its holder out);
 * and the key checked again at every transaction.
 */
import assert from 'node:assert/strict';
import { createAccount, request } from '../../support/http.js';
import { TEST_ADMIN_KEY } from '../../support/outpost.js';
import { RawSmtpClient } from '../../support/smtp-client.js';
import { startSubmissionHarness, submissionTransport, type SubmissionHarness } from '../../support/submission.js';

const FAILED = /^535 5\.7\.8 authentication failed: the password must be an Outpost API key/;

describe('SMTP submission: AUTH', () => {
  let harness: SubmissionHarness;
  const clients: RawSmtpClient[] = [];

  async function start(throttle: Partial<{ freeFailures: number; delayMs: number; maxDelayMs: number; lockoutFailures: number }> = {}, maxUnauthenticatedCommands = 20): Promise<void> {
    harness = await startSubmissionHarness({
      tune: (config) => {
        Object.assign(config.submission.authThrottle, throttle);
        config.submission.maxUnauthenticatedCommands = maxUnauthenticatedCommands;
      },
    });
  }

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await harness?.close();
  });

  /** A TLS session (465) from `localAddress`, after EHLO. */
  async function session(localAddress = '127.0.0.1'): Promise<RawSmtpClient> {
    const client = await RawSmtpClient.connect(harness.submissionTls, { tls: true, localAddress });
    clients.push(client);
    assert.equal((await client.reply()).code, 220);
    await client.ehlo();
    return client;
  }

  async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
    const started = performance.now();
    const result = await work();
    return { result, ms: performance.now() - started };
  }

  it('accepts the API key with any user name or the account id, over PLAIN and LOGIN', async () => {
    await start();
    const { id, apiKey } = harness.account;
    assert.match((await (await session()).authPlain('anything', apiKey)).raw, /^235 /);
    assert.match((await (await session()).authPlain(id, apiKey)).raw, /^235 /);
    const login = await session();
    assert.equal((await login.command('AUTH LOGIN')).code, 334);
    assert.equal((await login.command(Buffer.from(id).toString('base64'))).code, 334);
    assert.match((await login.command(Buffer.from(apiKey).toString('base64'))).raw, /^235 /);
    // nodemailer, as a legacy app would use it
    const transport = submissionTransport(harness.submission, { user: 'legacy-app', pass: apiKey });
    assert.equal(await transport.verify(), true);
    transport.close();
  });

  it('answers a wrong key, an unknown user, a key of another account and garbage alike: 535, with the same timing', async () => {
    await start({ freeFailures: 100, lockoutFailures: 100 }, 100);
    const { id, apiKey } = harness.account;
    const wrongKey = apiKey.slice(0, -4) + (apiKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const unknownAccountKey = apiKey.replace(id, 'a' + '0'.repeat(20));
    const client = await session();
    const attempts = [
      () => client.authPlain(id, wrongKey),
      () => client.authPlain('nobody', unknownAccountKey),
      () => client.authPlain('a' + 'f'.repeat(20), apiKey),
      () => client.authPlain('nobody', 'hunter2'),
    ];
    const timings: number[][] = attempts.map(() => []);
    for (let round = 0; round < 5; round++) {
      for (const [index, attempt] of attempts.entries()) {
        const { result, ms } = await timed(attempt);
        assert.match(result.raw, FAILED);
        timings[index]!.push(ms);
      }
    }
    const medians = timings.map((list) => list.sort((a, b) => a - b)[2]!);
    assert.ok(Math.max(...medians) - Math.min(...medians) < 50, `median ms per kind: ${medians.map((ms) => ms.toFixed(1)).join(', ')}`);
    const transport = submissionTransport(harness.submission, { user: id, pass: wrongKey });
    await assert.rejects(transport.verify(), (error: { responseCode?: number }) => error.responseCode === 535);
    transport.close();
  });

  it('delays each failure past the free ones twice as long, then locks the address out with 454 even for the right key', async () => {
    await start({ freeFailures: 2, delayMs: 200, maxDelayMs: 10_000, lockoutFailures: 5 });
    const client = await session();
    const delays: number[] = [];
    for (let failure = 1; failure <= 5; failure++) {
      const { result, ms } = await timed(() => client.authPlain('nobody', 'wrong'));
      assert.match(result.raw, FAILED);
      delays.push(ms);
    }
    // failures 1-2 free, then 200, 400 and 800 ms
    assert.ok(delays[0]! < 180 && delays[1]! < 180, delays.join(', '));
    assert.ok(delays[2]! >= 195 && delays[3]! >= 395 && delays[4]! >= 795, delays.join(', '));
    const locked = await client.authPlain(harness.account.id, harness.account.apiKey);
    assert.match(locked.raw, /^454 4\.7\.0 too many failed AUTH attempts/);
    // a new connection from the same address is locked out too; another address is not
    assert.match((await (await session()).authPlain('x', harness.account.apiKey)).raw, /^454 4\.7\.0 /);
    assert.match((await (await session('127.0.0.2')).authPlain('x', harness.account.apiKey)).raw, /^235 /);
  });

  it('after failures spread over many addresses, answers further wrong keys for that account 454, yet the right key still opens it', async () => {
    await start({ freeFailures: 10, delayMs: 1, lockoutFailures: 4 });
    const { id, apiKey } = harness.account;
    for (let address = 2; address <= 5; address++) {
      assert.match((await (await session(`127.0.0.${address}`)).authPlain(id, 'wrong')).raw, FAILED);
    }
    // a wrong key naming the account (the id is public in every key's prefix) is throttled...
    const wrongKey = apiKey.slice(0, -4) + (apiKey.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    assert.match((await (await session('127.0.0.6')).authPlain(id, wrongKey)).raw, /^454 4\.7\.0 too many failed AUTH attempts for this account/);
    // ...but a stranger's guesses cannot lock the key's holder out: the right key, from any address, is accepted
    assert.match((await (await session('127.0.0.7')).authPlain(id, apiKey)).raw, /^235 /);
    assert.match((await (await session('127.0.0.8')).authPlain('x', apiKey)).raw, /^235 /);
    const other = await createAccount(harness.server.outpost, 'other');
    assert.match((await (await session('127.0.0.9')).authPlain('x', other.apiKey)).raw, /^235 /);
  });

  it('checks the key again at every MAIL FROM: a key rotated or an account disabled ends what an open session may send', async () => {
    await start();
    const { id, apiKey } = harness.account;
    const client = await session();
    assert.match((await client.authPlain(id, apiKey)).raw, /^235 /);
    assert.equal((await client.command('MAIL FROM:<news@acme.test>')).code, 250);
    assert.equal((await client.command('RSET')).code, 250);

    const rotated = await request<{ api_key: string }>(harness.server.outpost, 'POST', `/v1/accounts/${id}/rotate-key`, { key: TEST_ADMIN_KEY });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const refused = await client.command('MAIL FROM:<news@acme.test>');
    assert.match(refused.raw, /^535 5\.7\.8 the key this session authenticated with no longer opens its account.*authenticate again/);

    const fresh = await session('127.0.0.2');
    assert.match((await fresh.authPlain(id, rotated.body.api_key)).raw, /^235 /);
    assert.equal((await fresh.command('MAIL FROM:<news@acme.test>')).code, 250);
    assert.equal((await fresh.command('RSET')).code, 250);
    const disabled = await request(harness.server.outpost, 'POST', `/v1/accounts/${id}/disable`, { key: TEST_ADMIN_KEY });
    assert.equal(disabled.status, 200, JSON.stringify(disabled.body));
    assert.match((await fresh.command('MAIL FROM:<news@acme.test>')).raw, /^550 5\.7\.1 account \w+ is disabled/);
    assert.equal(harness.mx.messages.length, 0);
  });
});
