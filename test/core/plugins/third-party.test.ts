/**
 * Third-party plugins as a user installs them: two packages built in a temp
 * dir outside the checkout, each with its own package.json and no copy of
 * Outpost: a JavaScript one installed with `npm install` into a deployment
 * folder and named by package name, and the README's TypeScript example named
 * by its folder's path. Outpost runs as `npm start` (a real child process, real
 * DNS and MX servers), and the plugins add headers, refuse messages with their
 * own error codes over REST and SMTP, see events, serve an HTTP route under
 * their prefix and count in /metrics.
 */
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount, request, type HttpTarget } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { inheritedEnv, REPO_ROOT, withTimeout } from '../../support/outpost-process.js';
import { makeDataDir, testEnv } from '../../support/outpost.js';
import { readmePluginExample } from '../../support/readme-plugin.js';
import { submissionTransport } from '../../support/submission.js';

const run = promisify(execFile);

/** A JavaScript plugin package: stamps a header from its setting, refuses "refuse me" with its own code, lists the accepted messages it saw. */
const STAMP_PLUGIN = `
import { definePlugin, parse, setting, verdict } from 'outpost/plugin';

export default definePlugin({
  name: 'stamp',
  settings: {
    label: setting({ env: 'STAMP_LABEL', default: 'stamped', parse: parse.text, doc: 'value of the X-Stamp header' }),
  },
  register(api) {
    api.registerErrorCode('stamp_refused', { http: 422, smtpCode: 554, smtpStatus: '5.7.9' });
    const seen = [];
    api.addHook('message:validate', (message) => {
      if (message.headers.getFirst('subject').includes('refuse me')) return verdict.reject(554, '5.7.9', 'the stamp plugin refuses this', 'stamp_refused');
      message.headers.add('X-Stamp', api.config.label);
      return verdict.continue();
    });
    api.on('message:accepted', (event) => {
      seen.push(event.messageId);
    });
    api.http.get('/seen', () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(seen) }));
  },
});
`;

async function writePackage(folder: string, manifest: Record<string, unknown>, files: Record<string, string>): Promise<void> {
  await mkdir(folder, { recursive: true });
  await writeFile(path.join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
  for (const [name, text] of Object.entries(files)) await writeFile(path.join(folder, name), text);
}

/** `npm start` in the checkout, run from `cwd`, in its own process group (so the test can stop npm, tsx and node by that group's PID). */
function npmStart(cwd: string, env: Record<string, string>): { child: ChildProcess; started: Promise<Record<string, string>>; output: string[] } {
  const child = spawn('npm', ['--prefix', REPO_ROOT, 'start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const started = new Promise<Record<string, string>>((resolve, reject) => {
    let pending = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        output.push(line);
        if (line.includes('"outpost started"')) resolve((JSON.parse(line) as { listeners: Record<string, string> }).listeners);
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code} before Outpost started:\n${output.join('\n')}`)));
  });
  return { child, started, output };
}

describe('third-party plugins installed outside the checkout, with npm start', function () {
  // npm install and a cold tsx start of the whole server take seconds
  this.timeout(90_000);
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: ReturnType<typeof npmStart> | undefined;

  before(async () => {
    mx = await startMxServer();
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] }, 'outpost.test': { A: ['127.0.0.1'] } });
  });

  after(async () => {
    if (server?.child.pid !== undefined && server.child.exitCode === null) {
      const exited = new Promise((resolve) => server!.child.once('exit', resolve));
      process.kill(-server.child.pid, 'SIGTERM');
      await withTimeout(exited, 30_000, () => 'npm start did not stop after SIGTERM');
    }
    await mx.close();
    await dns.close();
  });

  it('loads a JavaScript package by name and the README TypeScript example by path: headers, own error codes, events, routes, metrics', async () => {
    const scratch = await makeDataDir();
    const stampSource = path.join(scratch, 'src', 'stamp');
    await writePackage(
      stampSource,
      { name: 'outpost-plugin-stamp', version: '1.0.0', type: 'module', exports: './index.js', peerDependencies: { outpost: '*' }, peerDependenciesMeta: { outpost: { optional: true } } },
      { 'index.js': STAMP_PLUGIN },
    );
    const capFolder = path.join(scratch, 'src', 'recipient-cap');
    await writePackage(capFolder, { name: 'outpost-plugin-recipient-cap', version: '1.0.0', type: 'module', exports: './index.ts' }, { 'index.ts': await readmePluginExample() });
    const deployment = path.join(scratch, 'deploy');
    await writePackage(deployment, { name: 'outpost-deployment', version: '1.0.0', private: true }, {});
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', stampSource], { cwd: deployment });

    server = npmStart(deployment, {
      ...inheritedEnv(),
      ...testEnv({ dnsAddress: dns.address, deliveryPort: mx.port, dataDir: path.join(scratch, 'data') }),
      OUTPOST_LOG_LEVEL: 'info',
      OUTPOST_PLUGINS: `outpost-plugin-stamp,${capFolder}`,
      STAMP_LABEL: 'from-a-package',
      RECIPIENT_CAP: '2',
    });
    const listeners = await withTimeout(server.started, 60_000, () => `Outpost did not start:\n${server!.output.join('\n')}`);
    const target: HttpTarget = { httpAddress: listeners.http };
    const account = await createAccount(target);
    await addVerifiedDomain(target, dns, account.apiKey, 'acme.test');
    const send = (fields: Record<string, unknown>) =>
      request<{ id?: string; code?: string }>(target, 'POST', '/v1/mail/send', { key: account.apiKey, json: { from: 'news@acme.test', subject: 'Hello', text: 'Hi', ...fields } });

    const sent = await send({ to: ['a@dest.test'] });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    const deadline = Date.now() + 10_000;
    while (mx.messages.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const delivered = mx.messages[0]?.raw.toString() ?? '';
    assert.match(delivered, /^X-Stamp: from-a-package\r$/m, 'the package plugin stamped its header with its setting');
    assert.match(delivered, /^X-Recipient-Count: 1\r$/m, 'the README plugin stamped its header');

    const refused = await send({ to: ['a@dest.test'], subject: 'please refuse me' });
    assert.equal(refused.status, 422);
    assert.equal(refused.body.code, 'stamp_refused');
    const capped = await send({ to: ['a@dest.test', 'b@dest.test', 'c@dest.test'] });
    assert.equal(capped.status, 422);
    assert.equal(capped.body.code, 'recipient_cap_exceeded');

    const smtp = submissionTransport(listeners.submission!, { user: account.id, pass: account.apiKey });
    await assert.rejects(
      smtp.sendMail({ from: 'news@acme.test', to: 'a@dest.test', subject: 'refuse me too', text: 'Hi' }),
      (error: { responseCode?: number; response?: string }) => error.responseCode === 554 && /5\.7\.9 the stamp plugin refuses this/.test(error.response ?? ''),
    );
    smtp.close();

    const seen = await request<string[]>(target, 'GET', '/stamp/seen');
    assert.equal(seen.status, 200);
    assert.deepEqual(seen.body, [sent.body.id], 'the plugin saw the accepted message, and only it');
    const metrics = await request<string>(target, 'GET', '/metrics');
    assert.match(metrics.body, /^outpost_plugin_recipient_cap_refused_total 1$/m);
    assert.equal(mx.messages.length, 1, 'nothing refused was delivered');
  });
});
