/**
 * The public plugin API as a third party uses it: a plugin loaded from
 * OUTPOST_PLUGINS changes and rejects messages; a failing hook defers the
 * submission; a bad registration stops the start with a clear error.
 */
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isOutpostError } from '../../../core/errors.js';
import { definePlugin, verdict, type Hooks } from '../../../core/plugins/plugin-api.js';
import { startDnsServer, type TestDnsServer } from '../../support/dns-server.js';
import { addVerifiedDomain } from '../../support/domains.js';
import { createAccount } from '../../support/http.js';
import { startMxServer, type TestMxServer } from '../../support/mx-server.js';
import { readmePluginExample } from '../../support/readme-plugin.js';
import { allFinal, makeDataDir, rawMessage, startOutpost, waitForStatus, type TestOutpost } from '../../support/outpost.js';

describe('plugins', () => {
  let dns: TestDnsServer;
  let mx: TestMxServer;
  let server: TestOutpost | undefined;

  beforeEach(async () => {
    mx = await startMxServer();
    dns = await startDnsServer({ 'dest.test': { MX: [{ exchange: 'mx.dest.test', priority: 10 }] }, 'mx.dest.test': { A: ['127.0.0.1'] } });
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await mx.close();
    await dns.close();
  });

  /** A folder holding the README's example as recipient-cap.ts, in an ES module package as the README says. */
  const pluginFolder = async (): Promise<string> => {
    const folder = await makeDataDir();
    await writeFile(path.join(folder, 'package.json'), JSON.stringify({ type: 'module' }));
    await writeFile(path.join(folder, 'recipient-cap.ts'), await readmePluginExample());
    return folder;
  };

  const submit = (outpost: TestOutpost, to: string[]) =>
    outpost.outpost.submit({ from: 'a@outpost.test', to, raw: rawMessage({ from: 'a@outpost.test', to }), source: 'internal' });

  it("loads the README's plugin from a file named in OUTPOST_PLUGINS: it stamps a header, reads its setting and rejects with its own code", async () => {
    const folder = await pluginFolder();
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env: { OUTPOST_PLUGINS: path.join(folder, 'recipient-cap.ts'), RECIPIENT_CAP: '2' } });
    const receipt = await submit(server, ['a@dest.test', 'b@dest.test']);
    await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.match(mx.messages[0]!.raw.toString(), /^X-Recipient-Count: 2\r$/m);

    await assert.rejects(submit(server, ['a@dest.test', 'b@dest.test', 'c@dest.test']), (error: unknown) => {
      assert.ok(isOutpostError(error, 'recipient_cap_exceeded'), String(error));
      assert.deepEqual(error.smtpReply(), { code: 550, status: '5.5.3', text: 'at most 2 recipients per message; split the send' });
      assert.equal(error.httpStatus, 422);
      return true;
    });
    assert.equal(mx.messages.length, 1);
  });

  it('refuses to start when a plugin setting has a bad value, naming its variable', async () => {
    const folder = await pluginFolder();
    await assert.rejects(
      startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, env: { OUTPOST_PLUGINS: path.join(folder, 'recipient-cap.ts'), RECIPIENT_CAP: 'many' } }),
      (error: unknown) => isOutpostError(error, 'config_invalid') && /^RECIPIENT_CAP: "many" is not a whole number of at least 1$/.test(error.message),
    );
  });

  it('defers (never passes) a message when a hook throws or times out', async () => {
    const failing = definePlugin({
      name: 'broken-scanner',
      register(api) {
        api.addHook('message:scan', () => {
          throw new Error('scanner unreachable');
        });
      },
    });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, plugins: [failing] });
    await assert.rejects(submit(server, ['a@dest.test']), (error: unknown) => {
      assert.ok(isOutpostError(error));
      assert.equal(error.code, 'message_deferred');
      assert.equal(error.smtpReply().code, 451);
      assert.match(error.message, /broken-scanner.*scanner unreachable/);
      return true;
    });
    assert.equal(server.outpost.queuedRecipients, 0);
  });

  it('runs a delivery:before hook that bounces a group before any connection', async () => {
    const blocker = definePlugin({
      name: 'blocklist',
      register(api) {
        api.addHook('delivery:before', (group) => (group.domain === 'dest.test' ? verdict.reject(550, '5.7.1', 'destination blocked by policy') : undefined));
      },
    });
    server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, plugins: [blocker] });
    const receipt = await submit(server, ['a@dest.test']);
    const view = await waitForStatus(server.outpost, receipt.id, allFinal);
    assert.equal(view.recipients[0]!.status, 'bounced');
    assert.match(view.recipients[0]!.lastResponse!, /destination blocked by policy/);
    assert.equal(mx.connections, 0);
  });

  it('refuses to start with a hook name that does not exist', async () => {
    const typo = definePlugin({
      name: 'typo',
      register(api) {
        api.addHook('message:vaildate' as keyof Hooks, () => undefined);
      },
    });
    await assert.rejects(startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, plugins: [typo] }), (error: unknown) => {
      assert.ok(isOutpostError(error, 'plugin_invalid'));
      assert.match(error.message, /unknown hook "message:vaildate"/);
      return true;
    });
  });

  it('leaves out the built-ins named in omitBuiltinPlugins, and only those', async () => {
    const sendSigned = async (omitBuiltinPlugins: string[]): Promise<string> => {
      server = await startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, omitBuiltinPlugins });
      const account = await createAccount(server.outpost);
      dns.set('outpost.test', { A: ['127.0.0.1'] }); // the sending IP the SPF records are checked against
      await addVerifiedDomain(server.outpost, dns, account.apiKey, 'acme.test');
      const to = ['a@dest.test'];
      const receipt = await server.outpost.submit({ from: 'news@acme.test', to, raw: rawMessage({ from: 'news@acme.test', to }), source: 'api', accountId: account.id });
      await waitForStatus(server.outpost, receipt.id, allFinal);
      await server.close();
      server = undefined;
      return mx.messages.at(-1)!.raw.toString();
    };
    const signed = await sendSigned([]);
    assert.match(signed, /^DKIM-Signature: /m);
    const unsigned = await sendSigned(['dkim-sign']);
    assert.doesNotMatch(unsigned, /^DKIM-Signature: /m);
    // the other built-ins still ran: message-headers added the Message-ID, return-path the VERP sender
    assert.match(unsigned, /^Message-ID: <[^>]+@outpost\.test>\r$/m);
    assert.match(mx.messages.at(-1)!.mailFrom, /^bounce\+[^@]+@bounce\.acme\.test$/);
  });

  it('refuses to start when omitBuiltinPlugins names no built-in', async () => {
    await assert.rejects(startOutpost({ dnsAddress: dns.address, deliveryPort: mx.port, omitBuiltinPlugins: ['dkim'] }), (error: unknown) => {
      assert.ok(isOutpostError(error, 'config_invalid'));
      assert.equal(error.code, 'config_invalid');
      assert.match(error.message, /no built-in plugin named "dkim"; the built-ins are message-headers, sender-domain, .*dkim-sign, .*bounces$/);
      return true;
    });
  });
});
