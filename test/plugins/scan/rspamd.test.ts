/**
 * scan-rspamd against a real rspamd (Debian's rspamd with the packaged rules
 * and two test rules, started by test/support/scanners.ts), the built-in
 * scanner off so rspamd alone decides: GTUBE (action reject) refused as spam
 * over REST and SMTP; `add header` delivered marked with X-Spam headers;
 * `soft reject` deferred 451 4.7.1; clean mail delivered with its verdict
 * logged; the account's (admin's) spam_threshold replacing rspamd's reject
 * decision, the domain's only adding a lower one; a stopped rspamd answered
 * 451 4.7.1 (REST 503) with nothing lost, and the retry going through once it
 * is back.
 */
import assert from 'node:assert/strict';
import { startRspamd, type ScannerDaemon } from '../../support/scanners.js';
import {
  assertRestRefused, assertSmtpRefused, deliveredWithSubject, GTUBE, message, passedSoFar, scannedEvents, sendOverSmtp, setAccountScan,
  setDomainScan, startSendHarness, type SendHarness,
} from './scan-fixtures.js';

describe('scan-rspamd: rspamd', function () {
  // the first rspamd start on a machine compiles its patterns (~15 s); later ones load them
  this.timeout(90_000);
  let rspamd: ScannerDaemon;
  let harness: SendHarness;

  before(async () => {
    rspamd = await startRspamd();
    harness = await startSendHarness({ env: { OUTPOST_SCAN_RSPAMD_URL: rspamd.url, OUTPOST_SCAN_BUILTIN: 'false' } });
  });
  after(async () => {
    await harness?.close();
    await rspamd?.close();
  });
  afterEach(async () => {
    await setDomainScan(harness, {});
    await setAccountScan(harness, {});
  });

  it('refuses GTUBE, rspamd\'s reject (REST 422 spam_detected, SMTP 550 5.7.1), and delivers nothing', async () => {
    const before = passedSoFar(harness);
    const response = await harness.send(message({ text: `Cheap watches. ${GTUBE}` }));
    assertRestRefused(harness, response, 422, 'spam_detected', before);
    assert.match(response.body.message, /spam by scan-rspamd: score .* action reject/);
    await assertSmtpRefused(sendOverSmtp(harness, { text: `Cheap watches. ${GTUBE}` }), 550, '5.7.1');
    assert.deepEqual(passedSoFar(harness), before);
  });

  it('delivers what rspamd wants marked (add header) with X-Spam headers, and logs it', async () => {
    const response = await harness.send(message({ subject: 'outpost-test-add-header offer' }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [scan] = await scannedEvents(harness, response.body.id);
    assert.equal(scan!.verdict, 'spam');
    assert.equal(scan!.action, 'marked');
    assert.ok(scan!.symbols!.includes('OUTPOST_TEST_ADD_HEADER'), JSON.stringify(scan));
    const delivered = await deliveredWithSubject(harness, 'outpost-test-add-header offer');
    assert.match(delivered, /^X-Spam: Yes\r$/m);
    assert.match(delivered, /^X-Spam-Score: [\d.]+ \/ 15\r$/m);
  });

  it('defers what rspamd soft-rejects (REST 503 message_deferred, SMTP 451 4.7.1)', async () => {
    const before = passedSoFar(harness);
    const response = await harness.send(message({ subject: 'outpost-test-soft-reject please' }));
    assertRestRefused(harness, response, 503, 'message_deferred', before);
    assert.match(response.body.message, /rspamd asks to try again later/);
    await assertSmtpRefused(sendOverSmtp(harness, { subject: 'outpost-test-soft-reject please' }), 451, '4.7.1');
  });

  it('delivers a clean message; a domain\'s spam_threshold below its score refuses it, one above rspamd\'s reject does not lift the reject', async () => {
    const response = await harness.send(message({ subject: 'Your receipt', text: 'Thank you for your order.' }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const [scan] = await scannedEvents(harness, response.body.id);
    assert.deepEqual({ scanner: scan!.scanner, verdict: scan!.verdict, action: scan!.action }, { scanner: 'scan-rspamd', verdict: 'clean', action: 'none' });
    await deliveredWithSubject(harness, 'Your receipt');

    await setDomainScan(harness, { spam_threshold: scan!.score! - 1 });
    const refused = await harness.send(message({ subject: 'Your receipt', text: 'Thank you for your order.' }));
    assert.equal(refused.body.code, 'spam_detected', JSON.stringify(refused.body));
    await setDomainScan(harness, { spam_threshold: 1000 });
    const gtube = await harness.send(message({ text: GTUBE }));
    assert.equal(gtube.body.code, 'spam_detected', JSON.stringify(gtube.body));
    assert.match(gtube.body.message, /action reject/);
  });

  it('lets the admin\'s spam_threshold replace rspamd\'s reject decision for the account, and its domain\'s still lower it', async () => {
    await setAccountScan(harness, { spam_threshold: 1000 });
    const passed = await harness.send(message({ text: GTUBE }));
    assert.equal(passed.status, 200, JSON.stringify(passed.body));
    const [scan] = await scannedEvents(harness, passed.body.id);
    assert.equal(scan!.threshold, 1000);

    await setDomainScan(harness, { spam_threshold: 5 });
    const refused = await harness.send(message({ text: GTUBE }));
    assert.equal(refused.body.code, 'spam_detected', JSON.stringify(refused.body));
    assert.match(refused.body.message, / \/ 5, action reject/);
  });

  it('answers 451 4.7.1 (REST 503 scanner_unavailable) while rspamd is down, loses nothing, and takes the retry once it is back', async () => {
    const before = passedSoFar(harness);
    await rspamd.stop();
    try {
      const response = await harness.send(message({ subject: 'Retried after rspamd' }));
      assertRestRefused(harness, response, 503, 'scanner_unavailable', before);
      await assertSmtpRefused(sendOverSmtp(harness, { subject: 'Retried after rspamd' }), 451, '4.7.1');
      assert.deepEqual(passedSoFar(harness), before);
    } finally {
      await rspamd.start();
    }
    const retried = await harness.send(message({ subject: 'Retried after rspamd' }));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    await deliveredWithSubject(harness, 'Retried after rspamd');
  });
});
