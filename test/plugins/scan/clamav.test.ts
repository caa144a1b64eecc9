/**
 * scan-clamav against a real clamd (Debian's clamav-daemon, started by
 * test/support/scanners.ts with an EICAR signature of its own), the built-in
 * scanner off so clamd alone decides: EICAR plain, in a zip and in a zip in a
 * zip refused as malware over REST and SMTP, over TCP and the unix socket;
 * clean mail delivered with its clean verdict logged; a stopped clamd answered
 * 451 4.7.1 (REST 503) with nothing lost, and the client's retry going through
 * once clamd is back; fail-open passing with the header; a clamd that never
 * answers bounded by OUTPOST_SCAN_TIMEOUT.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { startClamd, type ScannerDaemon } from '../../support/scanners.js';
import {
  assertRestRefused, assertSmtpRefused, attachment, deliveredWithSubject, EICAR, message, passedSoFar, scannedEvents, sendOverSmtp,
  startSendHarness, zipOf, type SendHarness,
} from './scan-fixtures.js';

describe('scan-clamav: clamd', function () {
  this.timeout(60_000);
  let clamd: ScannerDaemon;
  let harness: SendHarness;
  let eicarZip: Buffer;
  let eicarZipInZip: Buffer;

  before(async () => {
    clamd = await startClamd();
    harness = await startSendHarness({ env: { OUTPOST_SCAN_CLAMD_ADDRESS: clamd.address, OUTPOST_SCAN_BUILTIN: 'false' } });
    eicarZip = await zipOf([['eicar.com', Buffer.from(EICAR)]]);
    eicarZipInZip = await zipOf([['docs.zip', eicarZip]]);
  });
  after(async () => {
    await harness?.close();
    await clamd?.close();
  });

  it('refuses EICAR plain, in a zip and in a zip in a zip (REST 422 malware_detected, SMTP 554 5.7.1)', async () => {
    const before = passedSoFar(harness);
    for (const [filename, content] of [['eicar.com', Buffer.from(EICAR)], ['eicar.zip', eicarZip], ['nested.zip', eicarZipInZip]] as const) {
      const response = await harness.send(message({ attachments: [attachment(filename, content)] }));
      assertRestRefused(harness, response, 422, 'malware_detected', before);
      assert.match(response.body.message, /scan-clamav found malware \(Eicar-Test-Signature\.UNOFFICIAL\)/, filename);
    }
    const reply = await assertSmtpRefused(sendOverSmtp(harness, { attachments: [{ filename: 'nested.zip', content: eicarZipInZip }] }), 554, '5.7.1');
    assert.match(reply, /Eicar-Test-Signature/);
    assert.deepEqual(passedSoFar(harness), before);
  });

  it('delivers a clean message with a clean archive and logs clamd\'s clean verdict', async () => {
    const archive = await zipOf([['report.csv', Buffer.from('month,total\n1,2\n')]]);
    const response = await harness.send(message({ subject: 'Clean for clamd', attachments: [attachment('report.zip', archive)] }));
    assert.equal(response.status, 200, JSON.stringify(response.body));
    assert.deepEqual(await scannedEvents(harness, response.body.id), [{ scanner: 'scan-clamav', verdict: 'clean', action: 'none' }]);
    await deliveredWithSubject(harness, 'Clean for clamd');
  });

  it('talks to clamd over its unix socket too', async () => {
    const overSocket = await startSendHarness({ env: { OUTPOST_SCAN_CLAMD_ADDRESS: clamd.socketPath!, OUTPOST_SCAN_BUILTIN: 'false' } });
    try {
      const response = await overSocket.send(message({ attachments: [attachment('eicar.zip', eicarZip)] }));
      assert.equal(response.body.code, 'malware_detected', JSON.stringify(response.body));
    } finally {
      await overSocket.close();
    }
  });

  it('answers 451 4.7.1 (REST 503 scanner_unavailable) while clamd is down, loses nothing, and takes the retry once it is back', async () => {
    const before = passedSoFar(harness);
    await clamd.stop();
    try {
      const response = await harness.send(message({ subject: 'Retried after clamd', text: 'Please retry me.' }));
      assertRestRefused(harness, response, 503, 'scanner_unavailable', before);
      assert.match(response.body.message, /scan-clamav is unavailable/);
      const reply = await assertSmtpRefused(sendOverSmtp(harness, { subject: 'Retried over SMTP' }), 451, '4.7.1');
      assert.match(reply, /scan-clamav is unavailable.*try again later/);
      assert.deepEqual(passedSoFar(harness), before, 'nothing was queued while clamd was down');
    } finally {
      await clamd.start();
    }
    // the client's retry, with the same message
    const retried = await harness.send(message({ subject: 'Retried after clamd', text: 'Please retry me.' }));
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.match(await sendOverSmtp(harness, { subject: 'Retried over SMTP' }), /^250 /);
    await deliveredWithSubject(harness, 'Retried after clamd');
    await deliveredWithSubject(harness, 'Retried over SMTP');
  });

  it('with OUTPOST_SCAN_FAIL_OPEN, lets the message pass while clamd is down, with X-Outpost-Scan: scan-clamav unavailable', async () => {
    const failOpen = await startSendHarness({ env: { OUTPOST_SCAN_CLAMD_ADDRESS: clamd.address, OUTPOST_SCAN_BUILTIN: 'false', OUTPOST_SCAN_FAIL_OPEN: 'true' } });
    await clamd.stop();
    try {
      const response = await failOpen.send(message({ subject: 'Passed open' }));
      assert.equal(response.status, 200, JSON.stringify(response.body));
      const [scan] = await scannedEvents(failOpen, response.body.id);
      assert.equal(scan!.verdict, 'unavailable');
      assert.equal(scan!.action, 'passed (fail open)');
      assert.match(await deliveredWithSubject(failOpen, 'Passed open'), /^X-Outpost-Scan: scan-clamav unavailable\r$/m);
    } finally {
      await clamd.start();
      await failOpen.close();
    }
  });

  it('bounds a clamd that never answers by OUTPOST_SCAN_TIMEOUT (503 scanner_unavailable)', async () => {
    const held = new Set<net.Socket>();
    const silent = net.createServer((socket) => void held.add(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as net.AddressInfo).port;
    const slow = await startSendHarness({ env: { OUTPOST_SCAN_CLAMD_ADDRESS: `127.0.0.1:${port}`, OUTPOST_SCAN_BUILTIN: 'false', OUTPOST_SCAN_TIMEOUT: '300ms' } });
    try {
      const started = performance.now();
      const response = await slow.send(message());
      assert.equal(response.status, 503, JSON.stringify(response.body));
      assert.equal(response.body.code, 'scanner_unavailable');
      assert.match(response.body.message, /no answer within 300 ms/);
      assert.ok(performance.now() - started < 3000);
    } finally {
      await slow.close();
      for (const socket of held) socket.destroy();
      silent.close();
    }
  });
});
