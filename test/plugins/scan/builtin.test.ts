/**
 * The built-in scanner (scan-builtin, on by default) end to end, over REST and
 * SMTP submission to the scripted destination MX: GTUBE refused as spam, the
 * EICAR test file (plain, in zips stored and deflated, nested, in a tar.gz)
 * as malware, dangerous attachments refused; clean mail with a clean archive
 * delivered with its `scanned` event; test mode reporting without refusing;
 * per-domain and per-account scan settings; and nothing refused ever queued
 * or delivered.
 */
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { request } from '../../support/http.js';
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

  it('follows the domain\'s scan settings: attachments allowed, the scanner turned off; the domain\'s win over the account\'s', async () => {
    await setDomainScan(harness, { attachments: 'allow' });
    const allowed = await harness.send(message({ attachments: [attachment('setup.exe', Buffer.from('not really'))] }));
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
    // allowing dangerous types does not let malware through
    const malware = await harness.send(message({ attachments: [attachment('eicar.zip', eicarZip)] }));
    assert.equal(malware.body.code, 'malware_detected');

    await setDomainScan(harness, { scanners: [] });
    const unscanned = await harness.send(message({ text: GTUBE }));
    assert.equal(unscanned.status, 200, JSON.stringify(unscanned.body));
    assert.deepEqual(await scannedEvents(harness, unscanned.body.id), []);

    // the account turns every scanner off; its domain turns the built-in one back on
    await setDomainScan(harness, {});
    await setAccountScan(harness, { scanners: [] });
    assert.equal((await harness.send(message({ text: GTUBE }))).status, 200);
    await setDomainScan(harness, { scanners: ['scan-builtin'] });
    assert.equal((await harness.send(message({ text: GTUBE }))).body.code, 'spam_detected');
  });

  it('takes an account\'s scan settings from the admin (PATCH /v1/accounts/:id) and shows them', async () => {
    await setAccountScan(harness, { attachments: 'allow', spam_threshold: 7.5 });
    const account = await request<{ scan?: unknown; status: string }>(harness.server.outpost, 'GET', `/v1/accounts/${harness.accountId}`, { key: 'test-admin-key-0123456789' });
    assert.deepEqual(account.body.scan, { attachments: 'allow', spam_threshold: 7.5 });
    assert.equal(account.body.status, 'active', 'a PATCH without status leaves it');
    const allowed = await harness.send(message({ attachments: [attachment('update.js', Buffer.from('WScript.Echo(1)'))] }));
    assert.equal(allowed.status, 200, JSON.stringify(allowed.body));
  });

  it('refuses scan settings it cannot use with 400 naming the field', async () => {
    const patch = (scan: unknown) => request<{ code: string; message: string }>(harness.server.outpost, 'PATCH', '/v1/domains/acme.test', { key: harness.apiKey, json: { scan } });
    const cases: [unknown, RegExp][] = [
      [{ spam_threshold: 'high' }, /scan\.spam_threshold: must be a number/],
      [{ attachments: 'sometimes' }, /scan\.attachments: must be refuse or allow/],
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
  });

  it('counts verdicts and times scans in /metrics', async () => {
    const metrics = await request<string>(harness.server.outpost, 'GET', '/metrics');
    assert.match(metrics.body, /outpost_plugin_scan_builtin_verdicts_total\{verdict="spam",action="refused"\} \d+/);
    assert.match(metrics.body, /outpost_plugin_scan_builtin_verdicts_total\{verdict="malware",action="refused"\} \d+/);
    assert.match(metrics.body, /outpost_plugin_scan_builtin_scan_seconds_count \d+/);
  });
});
