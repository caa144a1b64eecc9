/**
 * The submission listeners as part of Outpost: bound at start (a busy port
 * fails it with one line naming the variable), `off`, /health, the
 * self-signed certificate generated once into the data dir, OUTPOST_TLS_CERT
 * and OUTPOST_TLS_KEY, certificate reload without closing anything, and 421
 * to idle sessions at shutdown.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { pino } from 'pino';
import { loadConfig } from '../../../config/index.js';
import { isOutpostError } from '../../../core/errors.js';
import { SubmissionListeners } from '../../../api/smtp/listeners.js';
import { generateSelfSignedCertificate } from '../../../core/tls-certificate.js';
import { request } from '../../support/http.js';
import { makeDataDir, startOutpost, testEnv, type TestOutpost } from '../../support/outpost.js';
import { RawSmtpClient, splitAddress } from '../../support/smtp-client.js';

/** SHA-256 fingerprint of the certificate a TLS listener presents. */
function fingerprintAt(address: string): Promise<string> {
  const [host, port] = splitAddress(address);
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      resolve(socket.getPeerCertificate().fingerprint256);
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

/** Fingerprint of a PEM certificate file. */
function fingerprintOf(pem: string): string {
  return new X509Certificate(pem).fingerprint256;
}

describe('SMTP submission: listeners in Outpost', () => {
  let server: TestOutpost | undefined;
  const clients: RawSmtpClient[] = [];
  const scratch: string[] = [];

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server?.close();
    server = undefined;
    for (const directory of scratch.splice(0)) await rm(directory, { recursive: true, force: true });
  });

  const start = async (env: Record<string, string> = {}, dataDir?: string) => {
    server = await startOutpost({ dnsAddress: '127.0.0.1:53', deliveryPort: 25, env, ...(dataDir ? { dataDir } : {}) });
    return server.outpost;
  };

  it('binds both listeners, reports them in /health, and fails the start on a busy port naming its variable', async () => {
    const outpost = await start();
    assert.match(outpost.submissionAddress!, /^127\.0\.0\.1:\d+$/);
    assert.match(outpost.submissionTlsAddress!, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(outpost.failingParts(), []);
    assert.equal((await request(outpost, 'GET', '/health')).status, 200);

    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startOutpost({ dnsAddress: '127.0.0.1:53', deliveryPort: 25, env: { OUTPOST_SUBMISSION_TLS_PORT: String(port) } }), (error: unknown) => {
        assert.ok(isOutpostError(error, 'port_unavailable'));
        assert.equal(error.message, `cannot listen on 127.0.0.1:${port}: address already in use; set OUTPOST_SUBMISSION_TLS_PORT to a free port (or off to disable it)`);
        return true;
      });
    } finally {
      squatter.close();
    }
  });

  it('names a listener that is down in failingParts, and leaves out one that is off', async () => {
    const config = loadConfig({ ...testEnv({ dnsAddress: '127.0.0.1:53', deliveryPort: 25, dataDir: await makeDataDir() }), OUTPOST_SUBMISSION_PORT: 'off' });
    scratch.push(config.dataDir);
    const listeners = await SubmissionListeners.bind(config, pino({ level: 'silent' }));
    assert.equal(listeners.listeners.submission, undefined);
    assert.deepEqual(Object.entries(listeners.listeners).map(([name, part]) => [name, part?.listening]), [['submission', undefined], ['submission_tls', true]]);
    await listeners.close(0);
    assert.equal(listeners.listeners.submission_tls!.listening, false);
  });

  it('with every SMTP port off (587, 465 and the inbound MX), binds nothing and generates no certificate', async () => {
    const dataDir = await makeDataDir();
    scratch.push(dataDir);
    const outpost = await start({ OUTPOST_SUBMISSION_PORT: 'off', OUTPOST_SUBMISSION_TLS_PORT: 'off', OUTPOST_MX_PORT: 'off' }, dataDir);
    assert.equal(outpost.submissionAddress, undefined);
    assert.equal(outpost.submissionTlsAddress, undefined);
    await assert.rejects(stat(path.join(dataDir, 'tls')), { code: 'ENOENT' });
    await outpost.reloadTlsCertificate(); // nothing to reload: no error
  });

  it('generates a self-signed certificate into the data dir once, and serves the same one after a restart', async () => {
    const dataDir = await makeDataDir();
    scratch.push(dataDir);
    const outpost = await start({}, dataDir);
    const first = await fingerprintAt(outpost.submissionTlsAddress!);
    const keyMode = (await stat(path.join(dataDir, 'tls', 'selfsigned-key.pem'))).mode & 0o777;
    assert.equal(keyMode & 0o077, 0, `the key is readable by others: ${keyMode.toString(8)}`);
    await server!.close();
    const again = await start({}, dataDir);
    assert.equal(await fingerprintAt(again.submissionTlsAddress!), first);
  });

  it('serves OUTPOST_TLS_CERT/KEY and reloads them without closing the listener or open sessions; a bad pair is refused', async () => {
    const directory = await mkdtemp(path.join(os.tmpdir(), 'outpost-cert-'));
    scratch.push(directory);
    const [certFile, keyFile] = [path.join(directory, 'cert.pem'), path.join(directory, 'key.pem')];
    await generateSelfSignedCertificate('one.test', keyFile, certFile);
    const outpost = await start({ OUTPOST_TLS_CERT: certFile, OUTPOST_TLS_KEY: keyFile });
    const one = fingerprintOf(await readFile(certFile, 'utf8'));
    assert.equal(await fingerprintAt(outpost.submissionTlsAddress!), one);

    const open = await RawSmtpClient.connect(outpost.submissionTlsAddress!, { tls: true });
    clients.push(open);
    assert.equal((await open.reply()).code, 220);

    await generateSelfSignedCertificate('two.test', path.join(directory, 'key2.pem'), path.join(directory, 'cert2.pem'));
    await copyFile(path.join(directory, 'key2.pem'), keyFile);
    await copyFile(path.join(directory, 'cert2.pem'), certFile);
    await outpost.reloadTlsCertificate();
    const two = fingerprintOf(await readFile(certFile, 'utf8'));
    assert.notEqual(two, one);
    assert.equal(await fingerprintAt(outpost.submissionTlsAddress!), two);
    // STARTTLS on 587 uses the new one too
    const starttls = await RawSmtpClient.connect(outpost.submissionAddress!);
    clients.push(starttls);
    await starttls.reply();
    await starttls.ehlo();
    await starttls.startTls();
    assert.equal((starttls.socket as tls.TLSSocket).getPeerCertificate().fingerprint256, two);
    // the session opened before the reload is still there
    assert.equal((await open.command('NOOP')).code, 250);

    await writeFile(certFile, 'not a certificate');
    await assert.rejects(outpost.reloadTlsCertificate(), (error: unknown) => isOutpostError(error, 'config_invalid') && /OUTPOST_TLS_CERT/.test(error.message));
    assert.equal(await fingerprintAt(outpost.submissionTlsAddress!), two);
  });

  it('tells idle sessions 421 when Outpost stops', async () => {
    const outpost = await start();
    const client = await RawSmtpClient.connect(outpost.submissionAddress!);
    clients.push(client);
    assert.equal((await client.reply()).code, 220);
    const stopping = server!.close();
    assert.match((await client.reply()).raw, /^421 4\.3\.2 Outpost is shutting down/);
    await stopping;
    server = undefined;
    assert.deepEqual(outpost.failingParts().filter((part) => part.startsWith('submission')), ['submission', 'submission_tls']);
  });
});
