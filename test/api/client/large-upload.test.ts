/**
 * client.mail.send with a 25 MiB file given as a path, against Outpost in a
 * child process (so this process's memory is the client's alone): the file
 * arrives byte-exact at the destination MX, the upload reports its progress,
 * and the client's memory grows by far less than the file's size while it
 * uploads (the file is streamed, never read whole).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { simpleParser } from 'mailparser';
import { Outpost, type UploadProgress } from '../../../api/client/index.js';
import { DESTINATION_ZONE, testMessage } from '../../support/client-harness.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { baseUrlOf } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { makeDataDir, testEnv } from '../../support/outpost.js';
import { OutpostChild } from '../../support/outpost-process.js';
import { prepareRestSender } from '../../support/rest-sender.js';

const MiB = 1024 * 1024;
const FILE_BYTES = 25 * MiB;

/** Writes `bytes` of random data to `file` a MiB at a time; resolves with its SHA-256. */
async function writeRandomFile(file: string, bytes: number): Promise<string> {
  const hash = createHash('sha256');
  const out = createWriteStream(file);
  for (let written = 0; written < bytes; written += MiB) {
    const chunk = randomBytes(Math.min(MiB, bytes - written));
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

describe('client: a 25 MiB attachment given as a path', function () {
  this.timeout(120_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let child: OutpostChild;
  let files: string;

  before(async () => {
    dns = await startDnsServer({ ...DESTINATION_ZONE });
    mx = await startMxServer({ size: 64 * MiB });
    const dataDir = await makeDataDir();
    child = new OutpostChild({
      env: {
        ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir }),
        // 25 MiB in base64 is about 34 MiB of message
        OUTPOST_API_MAX_ATTACHMENT_BYTES: String(40 * MiB),
        OUTPOST_MAX_MESSAGE_BYTES: String(64 * MiB),
      },
    });
    await child.ready;
    files = await mkdtemp(path.join(os.tmpdir(), 'outpost-large-upload-'));
  });
  after(async () => {
    await child?.stop().catch(() => child.dispose());
    await mx?.close();
    await dns?.close();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('streams it: delivered byte-exact, progress reported, memory far below the file size', async () => {
    const sender = await prepareRestSender(child, dns);
    const file = path.join(files, 'archive.bin');
    const digest = await writeRandomFile(file, FILE_BYTES);
    const client = new Outpost({ url: baseUrlOf(child), key: sender.apiKey });

    const progress: UploadProgress[] = [];
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sample = () => (peak = Math.max(peak, process.memoryUsage().rss));
    // sampled while the upload runs, not after: the destination MX of this test keeps the delivered copy in this process
    const sampler = setInterval(sample, 10);
    let receipt;
    try {
      receipt = await client.mail.send(testMessage({ subject: 'large', attachments: [file] }), {
        onUploadProgress: (update) => {
          progress.push(update);
          sample();
          if (update.sentBytes === update.totalBytes) clearInterval(sampler);
        },
      });
    } finally {
      clearInterval(sampler);
    }
    assert.equal(receipt.accepted_recipients, 1);

    const total = progress[0]!.totalBytes!;
    assert.ok(total > FILE_BYTES, 'the total is known up front (the file was stat()ed, not read)');
    assert.ok(progress.length > 100, `progress fired as the upload went (${progress.length} times)`);
    assert.equal(progress.at(-1)!.sentBytes, total);
    const grewBy = peak - baseline;
    assert.ok(grewBy < FILE_BYTES / 2, `the client's memory grew by ${(grewBy / MiB).toFixed(1)} MiB for a ${FILE_BYTES / MiB} MiB file`);

    const [copy] = await mx.waitForMessages(1, 60_000);
    const parsed = await simpleParser(copy!.raw);
    assert.equal(parsed.attachments.length, 1);
    assert.equal(parsed.attachments[0]!.filename, 'archive.bin');
    assert.equal(parsed.attachments[0]!.size, FILE_BYTES);
    assert.equal(createHash('sha256').update(parsed.attachments[0]!.content).digest('hex'), digest, 'byte-exact');
  });
});
