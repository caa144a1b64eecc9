/**
 * The built-in scanner (scan-builtin, on by default) end to end, over REST and
 * SMTP submission to the scripted destination MX: GTUBE refused as spam, the
 * EICAR test file (plain, in zips stored and deflated, nested, in a tar.gz)
 * as malware, dangerous attachments refused; clean mail with a clean archive
 * delivered with its `scanned` event; test mode reporting without refusing;
 * per-account scan settings (the admin's, which may loosen) and per-domain
 * ones (the owner's, which only tighten); and nothing refused ever queued or
 * delivered.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { request } from '../../support/http.js';
import { TEST_ADMIN_KEY } from '../../support/outpost.js';
import {
  assertRestRefused, assertSmtpRefused, attachment, deliveredWithSubject, EICAR, GTUBE, message, passedSoFar, scannedEvents,
  sendOverSmtp, setAccountScan, setDomainScan, startSendHarness, tarOf, zipOf, type SendHarness,
} from './scan-fixtures.js';

describe('scan-builtin: the built-in scanner', () => {
  let harness: SendHarness;
  let eicarZip: Buffer;
  let eicarZipInZip: Buffer;

  before(async () => {
    harness = await startSendHarness();
    eicarZip = await zipOf([['eicar.com', Buffer.from(EICAR)]]);
    eicarZipInZip = await zipOf([['docs.zip', eicarZip]]);
  });
  after(() => harness?.close());
  afterEach(async () => {
    await setDomainScan(harness, {});
    await setAccountScan(harness, {});
  });

  it('refuses GTUBE over REST (422 spam_detected) and over 587 (550 5.7.1); nothing is queued or delivered', async () => {
    const before = passedSoFar(harness);
    const response = await harness.send(message({ text: `Buy now. ${GTUBE}` }));
    assertRestRefused(harness, response, 422, 'spam_detected', before);
    assert.match(response.body.message, /spam.*GTUBE/);

    const reply = await assertSmtpRefused(sendOverSmtp(harness, { text: `Buy now. ${GTUBE}` }), 550, '5.7.1');
    assert.match(reply, /spam by scan-builtin/);
    assert.deepEqual(passedSoFar(harness), before);
  });

  it('refuses EICAR plain, in a deflated and a stored zip, in a zip in a zip and in a tar.gz (422 malware_detected)', async () => {
    const tgz = zlib.gzipSync(await tarOf([['report/readme.txt', Buffer.from('read me')], ['report/eicar.com', Buffer.from(EICAR)]]));
    const cases: [string, Buffer][] = [
      ['eicar.com', Buffer.from(EICAR)],
      ['deflated.zip', eicarZip],
      ['stored.zip', await zipOf([['eicar.com', Buffer.from(EICAR)]], { compress: false })],
      ['nested.zip', eicarZipInZip],
      ['report.tar.gz', tgz],
    ];
    const before = passedSoFar(harness);
    for (const [filename, content] of cases) {
      const response = await harness.send(message({ attachments: [attachment(filename, content)] }));
      assertRestRefused(harness, response, 422, 'malware_detected', before);
      assert.match(response.body.message, new RegExp(`Eicar-Test-Signature in ${filename.replace('.', '\\.')}`), filename);
    }
  });

  it('refuses EICAR in a zip in a zip over 587 (554 5.7.1)', async () => {
    const before = passedSoFar(harness);
    const reply = await assertSmtpRefused(sendOverSmtp(harness, { attachments: [{ filename: 'nested.zip', content: eicarZipInZip }] }), 554, '5.7.1');
    assert.match(reply, /malware.*nested\.zip\/docs\.zip\/eicar\.com/);
    assert.deepEqual(passedSoFar(harness), before);
  });

  it('refuses dangerous attachments (422 attachment_refused, 554 5.7.1): executables, scripts, double extensions, HTML forms, executables in archives', async () => {
    const windowsExecutable = Buffer.alloc(256);
    windowsExecutable.write('MZ', 0, 'latin1');
    windowsExecutable.writeUInt32LE(0x80, 0x3c);
    windowsExecutable.write('PE\0\0', 0x80, 'latin1');
    const cases: [string, Buffer, RegExp][] = [
      ['setup.exe', Buffer.from('not really'), /setup\.exe: \.exe files/],
      ['invoice.pdf.exe', Buffer.from('not really'), /\.exe file disguised as a \.pdf/],
      ['update.js', Buffer.from('WScript.Echo(1)'), /\.js files/],
      ['login.html', Buffer.from('<html><form action="https://phish.example/"><input type="password"></form></html>'), /HTML page with a form/],
      ['photo.jpg', windowsExecutable, /photo\.jpg is a Windows executable/],
      ['tools.zip', await zipOf([['readme.txt', Buffer.from('hi')], ['run.bat', Buffer.from('@echo off')]]), /run\.bat.*inside tools\.zip/],
    ];
    const before = passedSoFar(harness);
    for (const [filename, content, reason] of cases) {
      const response = await harness.send(message({ attachments: [attachment(filename, content)] }));
      assertRestRefused(harness, response, 422, 'attachment_refused', before);
      assert.match(response.body.message, reason);
    }
    const reply = await assertSmtpRefused(sendOverSmtp(harness, { attachments: [{ filename: 'invoice.pdf.exe', content: Buffer.from('x') }] }), 554, '5.7.1');
    assert.match(reply, /double extension/);
  });

  it('delivers a clean message with a clean archive, and logs its clean verdict as a scanned event', async () => {
    const archive = await zipOf([['report.csv', Buffer.from('month,total\n'.repeat(500))], ['notes/readme.txt', Buffer.from('all good')]]);
    const response = await harness.send(message({ subject: 'Clean report', attachments: [attachment('report.zip', archive, 'application/zip')] }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const scans = await scannedEvents(harness, response.body.id);
    assert.deepEqual(scans, [{ scanner: 'scan-builtin', verdict: 'clean', action: 'none' }]);
    assert.match(await deliveredWithSubject(harness, 'Clean report'), /report\.zip/);

    const overSmtp = await sendOverSmtp(harness, { subject: 'Clean over SMTP', attachments: [{ filename: 'report.zip', content: archive }] });
    assert.match(overSmtp, /^250 /);
    await deliveredWithSubject(harness, 'Clean over SMTP');
  });

  it('test_mode runs the scanner and reports its verdict without refusing; nothing is delivered', async () => {
    const before = passedSoFar(harness);
    const response = await harness.send(message({ test_mode: true, text: GTUBE, attachments: [attachment('nested.zip', eicarZipInZip)] }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    const scans = await scannedEvents(harness, response.body.id);
    assert.deepEqual(scans, [{ scanner: 'scan-builtin', verdict: 'spam', symbols: ['GTUBE'], action: 'reported (test mode)' }]);

    // the domain's test_mode default does the same for mail that does not ask
    await request(harness.server.outpost, 'PATCH', '/v1/domains/acme.test', { key: harness.apiKey, json: { test_mode: true } });
    try {
      const overSmtp = await sendOverSmtp(harness, { attachments: [{ filename: 'eicar.com', content: Buffer.from(EICAR) }] });
      const id = /queued as ([0-9a-z]+)/.exec(overSmtp)![1]!;
      const [scan] = await scannedEvents(harness, id);
      assert.deepEqual(scan, { scanner: 'scan-builtin', verdict: 'malware', virus: 'Eicar-Test-Signature', symbols: ['EICAR'], action: 'reported (test mode)' });
    } finally {
      await request(harness.server.outpost, 'PATCH', '/v1/domains/acme.test', { key: harness.apiKey, json: { test_mode: false } });
    }
    assert.equal(harness.mx.messages.length, before.delivered, 'test mode delivers nothing');
  });

  it('does not let the account owner switch scanning off or allow dangerous attachments through its domain', async () => {
    const patchDomain = (scan: unknown) => request<{ code: string; message: string }>(harness.server.outpost, 'PATCH', '/v1/domains/acme.test', { key: harness.apiKey, json: { scan } });
    const allowing = await patchDomain({ attachments: 'allow' });
    assert.equal(allowing.status, 400, JSON.stringify(allowing.body));
    assert.match(allowing.body.message, /scan\.attachments: only an admin can allow dangerous attachments, per account: PATCH \/v1\/accounts\/:id/);
    const none = await patchDomain({ scanners: [] });
    assert.equal(none.status, 400, JSON.stringify(none.body));
    assert.match(none.body.message, /scan\.scanners: .*cannot turn any off.*PATCH \/v1\/accounts\/:id/);
    assert.equal((await harness.send(message({ attachments: [attachment('setup.exe', Buffer.from('not really'))] }))).body.code, 'attachment_refused');

    // a domain list naming other scanners adds them; it does not leave out the account's (here: every enabled one)
    await setDomainScan(harness, { scanners: ['scan-spamassassin'] });
    assert.equal((await harness.send(message({ text: GTUBE }))).body.code, 'spam_detected');
    await setAccountScan(harness, { scanners: ['scan-builtin'] });
    assert.equal((await harness.send(message({ text: GTUBE }))).body.code, 'spam_detected');
  });

  it('lets the admin loosen an account\'s scanning (scanners [], attachments allow), and its domain tighten it again', async () => {
    await setAccountScan(harness, { attachments: 'allow', scanners: [] });
    const unscanned = await harness.send(message({ text: GTUBE, attachments: [attachment('setup.exe', Buffer.from('not really'))] }));
    assert.equal(unscanned.status, 200, JSON.stringify(unscanned.body));
    assert.deepEqual(await scannedEvents(harness, unscanned.body.id), []);

    // the domain turns the built-in scanner back on: the account's allowed attachments pass, malware does not
    await setDomainScan(harness, { scanners: ['scan-builtin'] });
    const allowed = await harness.send(message({ attachments: [attachment('setup.exe', Buffer.from('not really'))] }));
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    assert.equal((await harness.send(message({ attachments: [attachment('eicar.zip', eicarZip)] }))).body.code, 'malware_detected');

    // and refuses the dangerous attachments the account allows
    await setDomainScan(harness, { scanners: ['scan-builtin'], attachments: 'refuse' });
    assert.equal((await harness.send(message({ attachments: [attachment('setup.exe', Buffer.from('not really'))] }))).body.code, 'attachment_refused');

    // a scanner the domain adds runs beside the account's, not instead of them
    await setAccountScan(harness, { attachments: 'allow', scanners: ['scan-builtin'] });
    await setDomainScan(harness, { scanners: ['scan-spamassassin'], attachments: 'refuse' });
    assert.equal((await harness.send(message({ attachments: [attachment('setup.exe', Buffer.from('not really'))] }))).body.code, 'attachment_refused');
  });

  it('takes an account\'s scan settings from the admin (PATCH /v1/accounts/:id) and shows them', async () => {
    await setAccountScan(harness, { attachments: 'allow', spam_threshold: 7.5 });
    const account = await request<{ scan?: unknown; status: string }>(harness.server.outpost, 'GET', `/v1/accounts/${harness.accountId}`, { key: TEST_ADMIN_KEY });
    assert.deepEqual(account.body.scan, { attachments: 'allow', spam_threshold: 7.5 });
    assert.equal(account.body.status, 'active', 'a PATCH without status leaves it');
    const allowed = await harness.send(message({ attachments: [attachment('update.js', Buffer.from('WScript.Echo(1)'))] }));
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  });

  it('refuses scan settings it cannot use with 400 naming the field', async () => {
    const patch = (scan: unknown) => request<{ code: string; message: string }>(harness.server.outpost, 'PATCH', '/v1/domains/acme.test', { key: harness.apiKey, json: { scan } });
    const cases: [unknown, RegExp][] = [
      [{ spam_threshold: 'high' }, /scan\.spam_threshold: must be a number/],
      [{ attachments: 'sometimes' }, /scan\.attachments: must be refuse/],
      [{ scanners: ['Scan Builtin'] }, /scan\.scanners\.0: must be a scan plugin's name/],
      [{ scanners: 'scan-builtin' }, /scan\.scanners: must be an array/],
      [{ threshold: 5 }, /scan: .*threshold/],
    ];
    for (const [scan, problem] of cases) {
      const response = await patch(scan);
      assert.equal(response.status, 400, JSON.stringify(response.body));
      assert.equal(response.body.code, 'invalid_request');
      assert.match(response.body.message, problem);
    }
    const account = await request<{ message: string }>(harness.server.outpost, 'PATCH', `/v1/accounts/${harness.accountId}`, { key: TEST_ADMIN_KEY, json: { scan: { attachments: 'sometimes' } } });
    assert.equal(account.status, 400, JSON.stringify(account.body));
    assert.match(account.body.message, /scan\.attachments: must be refuse or allow/);
  });

  it('counts verdicts and times scans in /metrics', async () => {
    const metrics = await request<string>(harness.server.outpost, 'GET', '/metrics');
    assert.match(metrics.body, /outpost_plugin_scan_builtin_verdicts_total\{verdict="spam",action="refused"\} \d+/);
    assert.match(metrics.body, /outpost_plugin_scan_builtin_verdicts_total\{verdict="malware",action="refused"\} \d+/);
    assert.match(metrics.body, /outpost_plugin_scan_builtin_scan_seconds_count \d+/);
  });
});
