/**
 * The client library (outpost/client) against a real Outpost on port 0, its
 * DNS and destination MX on loopback: sends with attachments given as paths,
 * Buffers and streams arrive byte-exact; every area of the API answers through
 * it; and it covers every route of the server's own OpenAPI document, checked
 * by calling each client method and recording the routes it used.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { simpleParser } from 'mailparser';
import { Outpost, OutpostApiError, ROUTES, type RouteName } from '../../../api/client/index.js';
import { startClientHarness, testMessage, type ClientHarness } from '../../support/client-harness.js';
import { publishRecords } from '../../support/domains.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('client library (outpost/client)', function () {
  let harness: ClientHarness;
  let files: string;

  before(async () => {
    harness = await startClientHarness();
    files = await mkdtemp(path.join(os.tmpdir(), 'outpost-client-test-'));
  });
  after(async () => {
    await harness?.close();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('sends the seed\'s message with every field, and reads it back', async () => {
    const receipt = await harness.client.mail.send(testMessage({
      from_name: 'Acme News',
      to: ['one@dest.test', 'bad address'],
      cc: ['two@dest.test'],
      bcc: ['three@dest.test'],
      reply_to: 'replies@acme.test',
      subject: 'Every field',
      html: '<p>Hello</p>',
      date: new Date('2026-01-31T09:30:00Z'),
      tags: ['seed', 'client'],
      charset: 'UTF-8',
      encoding: 'base64',
      require_tls: false,
      verify_cert: false,
    }));
    assert.match(receipt.id, /^[0-9a-z]+$/);
    assert.equal(receipt.accepted_recipients, 3);
    assert.equal(receipt.rejected_recipients, 1);
    let final;
    for await (const seen of harness.client.mail.messages.watch(receipt.id, { intervalMs: 20, timeoutMs: 10_000 })) final = seen;
    assert.deepEqual(final!.recipients.map((recipient) => recipient.status).sort(), ['delivered', 'delivered', 'delivered']);
    assert.deepEqual(final!.tags, ['seed', 'client']);
    const delivered = await simpleParser(harness.mx.messages.at(-1)!.raw);
    assert.equal(delivered.subject, 'Every field');
    assert.equal(delivered.from?.value[0]?.name, 'Acme News');
    assert.equal(delivered.date?.toISOString(), '2026-01-31T09:30:00.000Z');
  });

  it('uploads attachments given as a path, a Buffer and a stream, arriving byte-exact with their names and types', async () => {
    const pdfBytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(300_000, 0xab)]);
    const pdfPath = path.join(files, 'report.pdf');
    await writeFile(pdfPath, pdfBytes);
    const bufferBytes = Buffer.from('a,b\n1,2\n');
    const streamBytes = Buffer.alloc(70_000, 0x5a);
    const progress: number[] = [];
    const before = harness.mx.messages.length;
    const receipt = await harness.client.mail.send(testMessage({
      subject: 'Attachments',
      attachments: [
        pdfPath,
        { content: bufferBytes, filename: 'données "été".csv' },
        { content: Readable.from([streamBytes.subarray(0, 30_000), streamBytes.subarray(30_000)]), filename: 'blob.bin', content_type: 'application/x-test' },
      ],
    }), { onUploadProgress: ({ sentBytes }) => progress.push(sentBytes) });
    assert.equal(receipt.accepted_recipients, 1);
    assert.ok(progress.length > 2 && progress.every((value, index) => index === 0 || value >= progress[index - 1]!), 'progress rises');
    const copy = (await harness.mx.waitForMessages(before + 1))[before];
    const parsed = await simpleParser(copy!.raw);
    const byName = new Map(parsed.attachments.map((attachment) => [attachment.filename, attachment]));
    assert.equal(sha256(byName.get('report.pdf')!.content), sha256(pdfBytes));
    assert.equal(byName.get('report.pdf')!.contentType, 'application/pdf');
    assert.equal(sha256(byName.get('données "été".csv')!.content), sha256(bufferBytes));
    assert.equal(sha256(byName.get('blob.bin')!.content), sha256(streamBytes));
    assert.equal(byName.get('blob.bin')!.contentType, 'application/x-test');
  });

  it('refuses a path that cannot be read before sending anything', async () => {
    const before = harness.mx.messages.length;
    await assert.rejects(
      harness.client.mail.send(testMessage({ attachments: [path.join(files, 'missing.pdf')] })),
      (error: OutpostApiError) => error instanceof OutpostApiError && error.code === 'attachment_unreadable' && error.status === 0 && /missing\.pdf does not exist/.test(error.message),
    );
    assert.equal(harness.mx.messages.length, before);
  });

  it('lists messages newest first, page by page with an async iterator, filtered', async () => {
    const ids: string[] = [];
    for (let index = 0; index < 5; index++) ids.push((await harness.client.mail.send(testMessage({ subject: `page ${index}`, tags: ['paging'] }))).id);
    const pages = [];
    for await (const page of harness.client.mail.messages.pages({ tag: 'paging', limit: 2 })) pages.push(page);
    assert.deepEqual(pages.flatMap((page) => page.items.map((item) => item.id)), [...ids].reverse());
    assert.ok(pages.length >= 3);
    const all = [];
    for await (const message of harness.client.mail.messages.all({ tag: 'paging', since: new Date(Date.now() - 60_000) })) all.push(message.id);
    assert.deepEqual(all, [...ids].reverse());
    const first = await harness.client.mail.messages.list({ tag: 'paging', limit: 1 });
    assert.equal(first.items[0]!.id, ids.at(-1));
    assert.equal(typeof first.next_cursor, 'string');
  });

  it('manages domains: the records to publish, verify with a result per record', async () => {
    const added = await harness.client.domains.add('news.acme.test', { dkim_algorithm: 'ed25519' });
    assert.equal(added.status, 'pending');
    assert.deepEqual(added.dns_records.map((record) => record.purpose).sort(), ['dkim', 'dmarc', 'ownership', 'return_path_mx', 'return_path_spf', 'spf']);
    const pending = await harness.client.domains.verify('news.acme.test');
    assert.equal(pending.status, 'pending');
    assert.ok(pending.dns_records.every((record) => record.status === 'missing'));
    publishRecords(harness.dns, added);
    assert.equal((await harness.client.domains.verify('news.acme.test')).status, 'verified');
    assert.ok((await harness.client.domains.list()).some((domain) => domain.domain === 'news.acme.test'));
    assert.equal((await harness.client.domains.setDefaults('news.acme.test', { test_mode: true })).defaults.test_mode, true);
    assert.ok((await harness.client.domains.rotateDkim('news.acme.test')).dkim.next_selector);
    assert.equal((await harness.client.domains.get('news.acme.test')).domain, 'news.acme.test');
    await harness.client.domains.delete('news.acme.test');
    await assert.rejects(harness.client.domains.get('news.acme.test'), (error: OutpostApiError) => error.status === 404 && error.code === 'not_found');
  });

  it('manages suppressions and webhooks', async () => {
    assert.equal((await harness.client.suppressions.add('Gone@Dest.test')).reason, 'manual');
    assert.equal((await harness.client.suppressions.get('gone@dest.test')).address, 'gone@dest.test');
    assert.ok((await harness.client.suppressions.list()).some((item) => item.address === 'gone@dest.test'));
    await harness.client.suppressions.remove('gone@dest.test');
    await assert.rejects(harness.client.suppressions.get('gone@dest.test'), (error: OutpostApiError) => error.code === 'not_found');
    const hook = await harness.client.webhooks.add({ url: 'http://127.0.0.1:9/hook', events: ['delivered'] });
    assert.ok(hook.secret);
    assert.ok((await harness.client.webhooks.list()).some((item) => item.id === hook.id && !('secret' in item)));
    await harness.client.webhooks.delete(hook.id);
  });

  it('manages accounts with the admin key, and refuses them with an account key', async () => {
    const created = await harness.client.accounts.create('client-test');
    assert.match(created.api_key, /^op_/);
    const own = new Outpost({ url: harness.url, key: created.api_key });
    assert.equal((await own.account.health()).status, 'active');
    assert.equal((await harness.client.accounts.disable(created.id)).status, 'disabled');
    await assert.rejects(own.domains.list(), (error: OutpostApiError) => error.status === 401 || error.status === 403);
    assert.equal((await harness.client.accounts.enable(created.id)).status, 'active');
    assert.equal((await harness.client.accounts.rotateKey(created.id)).id, created.id);
    await assert.rejects(own.accounts.list(), (error: OutpostApiError) => error.status === 403 && error.code === 'forbidden');
    await harness.client.accounts.delete(created.id);
  });

  it('covers every route of the server\'s OpenAPI document, each method calling the route it names', async () => {
    const used = new Set<RouteName>();
    const admin = harness.newClient({ onRequest: ({ route }) => void used.add(route) });
    const document = await admin.openApi() as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(document.paths).flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`));
    const missing = documented.filter((route) => !(route in ROUTES));
    assert.deepEqual(missing, [], 'routes of /v1/openapi.json the client has no name for');

    // every method once, in an order that makes each call succeed
    const account = await admin.accounts.create('coverage');
    await admin.accounts.list();
    await admin.accounts.get(account.id);
    await admin.accounts.update(account.id, { status: 'active' });
    await admin.accounts.disable(account.id);
    await admin.accounts.enable(account.id);
    await admin.accounts.resume(account.id);
    await admin.accounts.health(account.id);
    const rotated = await admin.accounts.rotateKey(account.id);
    const client = harness.newClient({ key: rotated.api_key, onRequest: ({ route }) => void used.add(route) });
    await client.account.health();
    assert.equal((await client.account.stats({ interval: 'hour', from: new Date(Date.now() - 3_600_000) })).interval, 'hour');
    const domain = await client.domains.add('coverage.test');
    await client.domains.list();
    await client.domains.get(domain.domain);
    await client.domains.setDefaults(domain.domain, { require_tls: false });
    await client.domains.verify(domain.domain);
    await client.domains.rotateDkim(domain.domain);
    await client.domains.delete(domain.domain);
    const receipt = await harness.client.mail.send(testMessage());
    used.add('POST /v1/mail/send');
    await admin.mail.messages.get(receipt.id);
    await admin.mail.messages.list();
    await client.suppressions.add('x@dest.test');
    await client.suppressions.list();
    await client.suppressions.get('x@dest.test');
    await client.suppressions.remove('x@dest.test');
    const hook = await client.webhooks.add({ url: 'http://127.0.0.1:9/hook', events: ['bounced'] });
    await client.webhooks.list();
    assert.deepEqual(await client.webhooks.deliveries(hook.id, { limit: 10 }), []);
    await client.webhooks.delete(hook.id);
    assert.equal((await client.health()).status, 'ok');
    assert.match(await client.metrics(), /# HELP/);
    await admin.accounts.delete(account.id);

    assert.deepEqual(documented.filter((route) => !used.has(route as RouteName)), [], 'documented routes no client method called');
    assert.deepEqual(Object.keys(ROUTES).filter((route) => !used.has(route as RouteName)), [], 'named routes no client method called');
  });
});
