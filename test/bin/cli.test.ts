/**
 * The `outpost` command run as a subprocess against a real Outpost (in this
 * process, on port 0) with its DNS and destination MX on loopback: send with
 * attachments delivers; domains add prints the records table and verify says
 * what is missing; messages watch ends when the message is final, with the
 * exit code saying how; --json output parses; bad flags, missing keys, refused
 * requests and an unreachable server each exit with their documented code.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { Command } from 'commander';
import { buildProgram } from '../../bin/cli/program.js';
import type { Domain, Message, Receipt } from '../../api/client/index.js';
import { runCli } from '../support/cli-process.js';
import { SENDER, startClientHarness, testMessage, type ClientHarness } from '../support/client-harness.js';
import { publishRecords } from '../support/domains.js';
import { TEST_ADMIN_KEY } from '../support/outpost.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

describe('outpost CLI', function () {
  this.timeout(120_000);
  let harness: ClientHarness;
  let files: string;
  let env: Record<string, string>;

  before(async () => {
    harness = await startClientHarness({ mx: { rcptReply: (address) => (address.startsWith('nobody@') ? '550 5.1.1 no such user' : undefined) } });
    files = await mkdtemp(path.join(os.tmpdir(), 'outpost-cli-test-'));
    env = { OUTPOST_URL: harness.url, OUTPOST_API_KEY: harness.apiKey };
  });
  after(async () => {
    await harness?.close();
    if (files) await rm(files, { recursive: true, force: true });
  });

  it('send --attach delivers the files byte-exact, with the text from a file', async () => {
    const report = path.join(files, 'report.pdf');
    const reportBytes = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(200_000, 7)]);
    await writeFile(report, reportBytes);
    const notes = path.join(files, 'notes.txt');
    await writeFile(notes, 'some notes\n');
    const body = path.join(files, 'body.txt');
    await writeFile(body, 'Hello from the CLI.\n');
    const before = harness.mx.messages.length;
    const run = await runCli(['send', '--from', SENDER, '--from-name', 'CLI test', '--to', 'user@dest.test', '--cc', 'copy@dest.test', '--subject', 'From the CLI',
      '--text-file', body, '--html', '<p>Hello</p>', '--attach', report, '--attach', notes, '--tag', 'cli', '--test-mode', '--no-test-mode'], { env });
    assert.equal(run.code, 0, run.stderr);
    const id = /^queued ([0-9a-z]+): 2 accepted, 0 rejected$/m.exec(run.stdout)?.[1];
    assert.ok(id, run.stdout);
    assert.match(run.stderr, new RegExp(`outpost messages watch ${id}`));
    const copy = (await harness.mx.waitForMessages(before + 1))[before]!;
    const parsed = await simpleParser(copy.raw);
    assert.equal(parsed.subject, 'From the CLI');
    assert.equal(parsed.text?.trim(), 'Hello from the CLI.');
    assert.deepEqual(parsed.attachments.map((attachment) => [attachment.filename, sha256(attachment.content)]), [['report.pdf', sha256(reportBytes)], ['notes.txt', sha256(Buffer.from('some notes\n'))]]);
    assert.deepEqual((await harness.client.mail.messages.get(id)).tags, ['cli']);
  });

  it('send --json prints the receipt as JSON; --watch follows it to delivered', async () => {
    const run = await runCli(['send', '--json', '--from', SENDER, '--to', 'user@dest.test', '--subject', 'json', '--text', 'x'], { env });
    assert.equal(run.code, 0, run.stderr);
    const receipt = JSON.parse(run.stdout) as Receipt;
    assert.equal(receipt.accepted_recipients, 1);
    const watched = await runCli(['send', '--watch', '--from', SENDER, '--to', 'user@dest.test', '--subject', 'watched', '--text', 'x'], { env });
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, /user@dest\.test {2}(queued -> )?delivered/);
  });

  it('domains add prints the records table to copy; verify names what is missing and exits 4 until published', async () => {
    const added = await runCli(['domains', 'add', 'cli.test'], { env });
    assert.equal(added.code, 0, added.stderr);
    const domain = await harness.client.domains.get('cli.test');
    for (const record of domain.dns_records) {
      const row = added.stdout.split('\n').find((line) => line.includes(` ${record.name} `) && line.includes(` ${record.type} `) && line.includes(record.value));
      assert.ok(row, `a row with ${record.type} ${record.name} and its whole value:\n${added.stdout}`);
    }
    assert.match(added.stderr, /outpost domains verify cli\.test/);

    const pending = await runCli(['domains', 'verify', 'cli.test'], { env });
    assert.equal(pending.code, 4, pending.stderr);
    assert.match(pending.stdout, /missing: TXT _dmarc\.cli\.test/);
    assert.match(pending.stderr, /not verified: 6 of 6 records missing or wrong/);

    publishRecords(harness.dns, domain);
    const verified = await runCli(['domains', 'verify', 'cli.test', '--json'], { env });
    assert.equal(verified.code, 0, verified.stderr);
    assert.equal((JSON.parse(verified.stdout) as Domain).status, 'verified');
  });

  it('messages watch ends when the message is delivered (exit 0), or bounced (exit 4)', async () => {
    const delivered = await harness.client.mail.send(testMessage({ subject: 'watch me' }));
    const watched = await runCli(['messages', 'watch', delivered.id, '--interval', '100ms', '--timeout', '30s'], { env });
    assert.equal(watched.code, 0, watched.stderr);
    assert.match(watched.stdout, /user@dest\.test {2}.*delivered {2}\(250/);

    const bounced = await harness.client.mail.send(testMessage({ to: ['nobody@dest.test'], subject: 'bounce me' }));
    const failed = await runCli(['messages', 'watch', bounced.id, '--interval', '100ms', '--json'], { env });
    assert.equal(failed.code, 4, failed.stderr);
    assert.equal((JSON.parse(failed.stdout) as Message).recipients[0]!.status, 'bounced');
    assert.match(failed.stderr, /"code":"cli_error".*not delivered to nobody@dest\.test \(bounced/);
  });

  it('messages get and list print tables, or JSON that parses', async () => {
    const sent = await harness.client.mail.send(testMessage({ subject: 'look me up', tags: ['lookup'] }));
    const table = await runCli(['messages', 'get', sent.id], { env });
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /look me up/);
    assert.match(table.stdout, /Recipients[\s\S]*user@dest\.test[\s\S]*Events[\s\S]*accepted/);
    const json = await runCli(['--json', 'messages', 'get', sent.id], { env });
    assert.equal((JSON.parse(json.stdout) as Message).id, sent.id);
    const list = await runCli(['messages', 'list', '--tag', 'lookup', '--limit', '5', '--json'], { env });
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual((JSON.parse(list.stdout) as { items: Message[] }).items.map((message) => message.id), [sent.id]);
  });

  it('accounts need the admin key; the key and URL may come from a config file', async () => {
    const noAdmin = await runCli(['accounts', 'list'], { env });
    assert.equal(noAdmin.code, 1);
    assert.match(noAdmin.stderr, /no admin key: pass --admin-key, set OUTPOST_ADMIN_KEY/);
    const created = await runCli(['accounts', 'create', 'from-cli', '--json', '--admin-key', TEST_ADMIN_KEY], { env });
    assert.equal(created.code, 0, created.stderr);
    const account = JSON.parse(created.stdout) as { id: string; api_key: string };
    assert.match(account.api_key, /^op_/);
    const config = path.join(files, 'config.json');
    await writeFile(config, JSON.stringify({ url: harness.url, key: account.api_key }));
    const viaConfig = await runCli(['--config', config, 'suppressions', 'add', 'gone@dest.test', '--json']);
    assert.equal(viaConfig.code, 0, viaConfig.stderr);
    assert.equal((JSON.parse(viaConfig.stdout) as { address: string }).address, 'gone@dest.test');
    const health = await runCli(['--config', config, 'accounts', 'health']);
    assert.equal(health.code, 0, health.stderr);
    assert.match(health.stdout, /status\s*│ active/);
  });

  it('exit codes: 1 for a bad flag (with usage), 1 for no key, 2 for a refused request, 3 for no server', async () => {
    const badFlag = await runCli(['messages', 'list', '--bogus'], { env });
    assert.equal(badFlag.code, 1);
    assert.match(badFlag.stderr, /unknown option '--bogus'/);
    assert.match(badFlag.stderr, /Usage: outpost messages list \[options\]/);
    assert.equal(badFlag.stdout, '');

    const missing = await runCli(['send', '--from', SENDER, '--to', 'a@dest.test', '--subject', 's'], { env });
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /give the plain-text body: --text TEXT or --text-file FILE/);

    const noKey = await runCli(['domains', 'list'], { env: { OUTPOST_URL: harness.url } });
    assert.equal(noKey.code, 1);
    assert.match(noKey.stderr, /no API key: pass --key/);

    const unreadable = await runCli(['send', '--from', SENDER, '--to', 'a@dest.test', '--subject', 's', '--text', 't', '--attach', path.join(files, 'nope.pdf')], { env });
    assert.equal(unreadable.code, 1);
    assert.match(unreadable.stderr, /nope\.pdf does not exist/);

    const refused = await runCli(['send', '--from', 'x@unverified.test', '--to', 'a@dest.test', '--subject', 's', '--text', 't'], { env });
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /outpost: 422 domain_not_verified: /);

    const wrongKey = await runCli(['domains', 'list', '--key', 'op_a00000000000000000000_wrongwrongwrongwrongwrongwrongwrongwrong0'], { env });
    assert.equal(wrongKey.code, 2);
    assert.match(wrongKey.stderr, /401 unauthorized[\s\S]*check the key: --key, OUTPOST_API_KEY/);

    const noServer = await runCli(['domains', 'list', '--url', 'http://127.0.0.1:9'], { env });
    assert.equal(noServer.code, 3);
    assert.match(noServer.stderr, /nothing answers at http:\/\/127\.0\.0\.1:9[\s\S]*check the URL/);
  });

  it('has --help on every command, with a description', async () => {
    const leaves: Command[] = [];
    const walk = (command: Command) => (command.commands.length ? command.commands.forEach(walk) : leaves.push(command));
    walk(buildProgram());
    assert.ok(leaves.length > 25, `${leaves.length} commands`);
    for (const command of leaves) {
      assert.ok(command.description(), `${command.name()} has a description`);
      assert.match(command.helpInformation(), /Usage: outpost /, command.name());
    }
    const help = await runCli(['messages', 'watch', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: outpost messages watch \[options\] <id>/);
    assert.match(help.stdout, /--timeout <duration>/);
  });
});
