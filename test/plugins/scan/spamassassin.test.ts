/**
 * scan-spamassassin against a real spamd (Debian's spamd with the packaged
 * rules, started by test/support/scanners.ts), the built-in scanner off so
 * spamd alone decides: GTUBE refused as spam over REST and SMTP; clean mail
 * delivered with its score and threshold logged; the account's (admin's)
 * spam_threshold moving the line both ways, the domain's only lowering it;
 * the account's scanners leaving spamd out and its domain adding it back; a
 * stopped spamd answered 451 4.7.1 (REST 503) with nothing lost, and the
 * retry going through once it is back.
 */
import assert from 'node:assert/strict';
import { startSpamd, type ScannerDaemon } from '../../support/scanners.js';
import {
  assertRestRefused, assertSmtpRefused, deliveredWithSubject, GTUBE, message, passedSoFar, scannedEvents, sendOverSmtp, setAccountScan,
  setDomainScan, startSendHarness, type SendHarness,
} from './scan-fixtures.js';

describe('scan-spamassassin: spamd', function () {
  this.timeout(60_000);
  let spamd: ScannerDaemon;
  let harness: SendHarness;

  before(async () => {
    spamd = await startSpamd();
    harness = await startSendHarness({ env: { OUTPOST_SCAN_SPAMD_ADDRESS: spamd.address, OUTPOST_SCAN_BUILTIN: 'false' } });
  });
  after(async () => {
    await harness?.close();
    await spamd?.close();
  });
  afterEach(async () => {
    await setDomainScan(harness, {});
    await setAccountScan(harness, {});
  });

  it('refuses GTUBE (REST 422 spam_detected, SMTP 550 5.7.1) and delivers nothing', async () => {
    const before = passedSoFar(harness);
    const response = await harness.send(message({ text: `Cheap watches. ${GTUBE}` }));
    assertRestRefused(harness, response, 422, 'spam_detected', before);
    assert.match(response.body.message, /spam by scan-spamassassin: score \d+(\.\d+)? \/ 5 \(.*GTUBE/);
    const reply = await assertSmtpRefused(sendOverSmtp(harness, { text: `Cheap watches. ${GTUBE}` }), 550, '5.7.1');
    assert.match(reply, /GTUBE/);
    assert.deepEqual(passedSoFar(harness), before);
  });

  it('delivers a clean message and logs its score against the threshold', async () => {
    const response = await harness.send(message({ subject: 'Your receipt', text: 'Thank you for your order. Your receipt is attached.' }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [scan] = await scannedEvents(harness, response.body.id);
    assert.equal(scan!.scanner, 'scan-spamassassin');
    assert.equal(scan!.verdict, 'clean');
    assert.equal(scan!.threshold, 5);
    assert.ok(typeof scan!.score === 'number' && scan!.score < 5, JSON.stringify(scan));
    await deliveredWithSubject(harness, 'Your receipt');
  });

  it('lets a domain\'s spam_threshold only lower the line: below a clean score refuses it; above the plugin\'s or the account\'s, GTUBE is still refused', async () => {
    await setDomainScan(harness, { spam_threshold: -100 });
    const refused = await harness.send(message({ text: 'Thank you for your order.' }));
    assert.equal(refused.body.code, 'spam_detected', JSON.stringify(refused.body));
    assert.match(refused.body.message, /score -?\d+(\.\d+)? \/ -100 /);

    await setDomainScan(harness, { spam_threshold: 5000 });
    const plugins = await harness.send(message({ text: GTUBE }));
    assert.equal(plugins.body.code, 'spam_detected', JSON.stringify(plugins.body));
    assert.match(plugins.body.message, /score \d+(\.\d+)? \/ 5 /);
    await setAccountScan(harness, { spam_threshold: 7 });
    const accounts = await harness.send(message({ text: GTUBE }));
    assert.match(accounts.body.message, /score \d+(\.\d+)? \/ 7 /);
  });

  it('follows the admin\'s spam_threshold and scanners for the account: raised, GTUBE passes; spamd left out, it is asked nothing', async () => {
    await setAccountScan(harness, { spam_threshold: 5000 });
    const passed = await harness.send(message({ subject: 'Test of the filter', text: GTUBE }));
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    const [scan] = await scannedEvents(harness, passed.body.id);
    assert.equal(scan!.threshold, 5000);
    assert.ok(scan!.symbols!.includes('GTUBE'));

    // an account that runs only the built-in scanner (turned off here) asks spamd nothing
    await setAccountScan(harness, { scanners: ['scan-builtin'] });
    const unscanned = await harness.send(message({ text: GTUBE }));
    assert.equal(unscanned.status, 200, JSON.stringify(unscanned.body));
    assert.deepEqual(await scannedEvents(harness, unscanned.body.id), []);
    // unless its domain adds spamd back
    await setDomainScan(harness, { scanners: ['scan-spamassassin'] });
    assert.equal((await harness.send(message({ text: GTUBE }))).body.code, 'spam_detected');
  });

  it('answers 451 4.7.1 (REST 503 scanner_unavailable) while spamd is down, loses nothing, and takes the retry once it is back', async () => {
    const before = passedSoFar(harness);
    await spamd.stop();
    try {
      const response = await harness.send(message({ subject: 'Retried after spamd' }));
      assertRestRefused(harness, response, 503, 'scanner_unavailable', before);
      await assertSmtpRefused(sendOverSmtp(harness, { subject: 'Retried after spamd' }), 451, '4.7.1');
      assert.deepEqual(passedSoFar(harness), before);
    } finally {
      await spamd.start();
    }
    const retried = await harness.send(message({ subject: 'Retried after spamd' }));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    await deliveredWithSubject(harness, 'Retried after spamd');
  });
});
