/**
 * Zip bombs against the built-in scanner: small archives that expand to
 * gigabytes (built here from a stream of zeros, never written to disk) are
 * refused quickly and with bounded memory: from the sizes they declare, and,
 * when they lie about them, as soon as the bytes read pass the budget or the
 * ratio, never after expanding them. Over REST and SMTP, and the scanner's
 * content scan called directly with a small budget.
 */
import assert from 'node:assert/strict';
import { scanContent } from '../../../plugins/scan/content-scan.js';
import {
  assertRestRefused, assertSmtpRefused, attachment, gzipOfZeros, message, passedSoFar, peakRssGrowth, sendOverSmtp, startSendHarness,
  zipOf, zipOfZeros, type SendHarness,
} from './scan-fixtures.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
/** More than the scanner could need for a refusal it makes from headers and the first bytes read; far less than a bomb. */
const MEMORY_BOUND = 96 * MiB;
const TIME_BOUND_MS = 3000;

/** `raw` with its declared expanded size (local header and central directory) replaced by `claimed`: a zip that lies. */
function lyingZip(zip: Buffer, claimed: number): Buffer {
  const liar = Buffer.from(zip);
  liar.writeUInt32LE(claimed, 22);
  const central = liar.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  liar.writeUInt32LE(claimed, central + 24);
  return liar;
}

describe('scan-builtin: zip bombs', function () {
  // building the 1 GiB bomb takes a few seconds (yazl's CRC-32 of a gigabyte of zeros)
  this.timeout(60_000);
  let harness: SendHarness;
  let gigabyteZip: Buffer;
  let sixteenGigabyteZip: Buffer;

  before(async () => {
    harness = await startSendHarness();
    gigabyteZip = await zipOfZeros('zeros.bin', GiB);
    sixteenGigabyteZip = await zipOf(Array.from({ length: 16 }, (_, index) => [`part-${index}.zip`, gigabyteZip]));
    assert.ok(gigabyteZip.length < 2 * MiB && sixteenGigabyteZip.length < 2 * MiB, 'the bombs are small on the wire');
  });
  after(() => harness?.close());

  it('refuses a 1 MiB zip that expands to 1 GiB over REST (422 attachment_refused), quickly and with bounded memory', async () => {
    const before = passedSoFar(harness);
    const { result: response, growthBytes, ms } = await peakRssGrowth(() => harness.send(message({ attachments: [attachment('backup.zip', gigabyteZip, 'application/zip')] })));
    assertRestRefused(harness, response, 422, 'attachment_refused', before);
    assert.match(response.body.message, /backup\.zip\/zeros\.bin expands to 1024 MiB/);
    assert.ok(ms < TIME_BOUND_MS, `refused in ${Math.round(ms)} ms`);
    assert.ok(growthBytes < MEMORY_BOUND, `RSS grew ${Math.round(growthBytes / MiB)} MiB`);
  });

  it('refuses a zip of 16 such zips (16 GiB) over SMTP (554 5.7.1)', async () => {
    const before = passedSoFar(harness);
    const { result: reply, growthBytes, ms } = await peakRssGrowth(() => assertSmtpRefused(sendOverSmtp(harness, { attachments: [{ filename: 'nested.zip', content: sixteenGigabyteZip }] }), 554, '5.7.1'));
    assert.match(reply, /nested\.zip\/part-0\.zip\/zeros\.bin expands to 1024 MiB/);
    assert.deepEqual(passedSoFar(harness), before);
    assert.ok(ms < TIME_BOUND_MS, `refused in ${Math.round(ms)} ms`);
    assert.ok(growthBytes < MEMORY_BOUND, `RSS grew ${Math.round(growthBytes / MiB)} MiB`);
  });

  it('stops reading a zip that declares 1 KB but expands to 1 GiB at the size it declared', async () => {
    const before = passedSoFar(harness);
    const { result: response, growthBytes, ms } = await peakRssGrowth(() => harness.send(message({ attachments: [attachment('liar.zip', lyingZip(gigabyteZip, 1000))] })));
    assertRestRefused(harness, response, 422, 'attachment_refused', before);
    assert.match(response.body.message, /liar\.zip cannot be read as a zip archive \(too many bytes/);
    assert.ok(ms < TIME_BOUND_MS && growthBytes < MEMORY_BOUND, `${Math.round(ms)} ms, RSS grew ${Math.round(growthBytes / MiB)} MiB`);
  });

  it('stops reading a gzip whose trailer lies as soon as it passes the budget or the ratio', async () => {
    const gzip = await gzipOfZeros(GiB, 1000);
    const before = passedSoFar(harness);
    const response = await harness.send(message({ attachments: [attachment('logs.gz', gzip)] }));
    assertRestRefused(harness, response, 422, 'attachment_refused', before);
    // the expansion budget (64 MiB) stops it: read up to the budget, never the gigabyte
    assert.match(response.body.message, /logs\.gz\/logs expands beyond the 64 MiB/);

    // a tighter ratio stops it sooner, by what it has read against its compressed size
    const limits = { maxDepth: 5, maxExpandedBytes: 64 * MiB, maxRatio: 2, maxFiles: 10 };
    const raw = Buffer.from(`From: a@acme.test\r\nTo: b@dest.test\r\nSubject: x\r\nContent-Type: application/gzip; name=logs.gz\r\nContent-Disposition: attachment; filename=logs.gz\r\nContent-Transfer-Encoding: base64\r\n\r\n${gzip.toString('base64')}\r\n`);
    const { result: finding, growthBytes, ms } = await peakRssGrowth(() => scanContent(raw, { limits, attachments: 'refuse' }));
    assert.deepEqual(finding.symbols, ['ARCHIVE_RATIO']);
    assert.ok(ms < TIME_BOUND_MS && growthBytes < MEMORY_BOUND, `${Math.round(ms)} ms, RSS grew ${Math.round(growthBytes / MiB)} MiB`);
  });

  it('refuses archives nested deeper than OUTPOST_SCAN_ARCHIVE_DEPTH, and more files than OUTPOST_SCAN_ARCHIVE_MAX_FILES', async () => {
    let nested = await zipOf([['note.txt', Buffer.from('deep down')]]);
    for (let level = 0; level < 6; level++) nested = await zipOf([[`level-${level}.zip`, nested]]);
    const deep = await harness.send(message({ attachments: [attachment('deep.zip', nested)] }));
    assert.equal(deep.body.code, 'attachment_refused');
    assert.match(deep.body.message, /nests archives more than 5 deep/);

    const many = await zipOf(Array.from({ length: 1001 }, (_, index) => [`file-${index}.txt`, Buffer.from('x')]));
    const crowded = await harness.send(message({ attachments: [attachment('many.zip', many)] }));
    assert.equal(crowded.body.code, 'attachment_refused');
    assert.match(crowded.body.message, /more than 1000 files/);
  });
});
