/**
 * The certificate and TLS settings of the submission listeners. The
 * certificate comes from OUTPOST_TLS_CERT/OUTPOST_TLS_KEY, or else is a
 * self-signed one generated once into <data dir>/tls and logged as a warning
 * at every start (clients then have to skip verification). It is read again on
 * reload (SIGHUP), so a renewed certificate needs no restart.
 *
 * Why the openssl command and not the `selfsigned` npm package: Node can make
 * keys but not X.509 certificates, so something else has to. openssl is on
 * every Debian system with CA certificates (ca-certificates depends on it), is
 * the library Node's own TLS is built on, and runs once, at the first start.
 * `selfsigned` would add a JavaScript X.509/ASN.1 stack (node-forge or
 * @peculiar/x509) to a security-sensitive path for that one moment. Where
 * openssl is missing the start fails with one line naming both fixes.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import tls from 'node:tls';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { outpostError } from './errors.js';

/**
 * TLS 1.2 or newer only, with forward-secret AEAD suites (TLS 1.3's own suites
 * are all of that kind). Every client that can do TLS 1.2 has these.
 */
export const TLS_SETTINGS = {
  minVersion: 'TLSv1.2',
  ciphers: [
    'TLS_AES_128_GCM_SHA256',
    'TLS_AES_256_GCM_SHA384',
    'TLS_CHACHA20_POLY1305_SHA256',
    'ECDHE-ECDSA-AES128-GCM-SHA256',
    'ECDHE-RSA-AES128-GCM-SHA256',
    'ECDHE-ECDSA-AES256-GCM-SHA384',
    'ECDHE-RSA-AES256-GCM-SHA384',
    'ECDHE-ECDSA-CHACHA20-POLY1305',
    'ECDHE-RSA-CHACHA20-POLY1305',
  ].join(':'),
  honorCipherOrder: true,
} as const satisfies tls.SecureContextOptions;

export interface TlsCertificate {
  key: string;
  cert: string;
  /** The certificate file it was read from. */
  certFile: string;
  generated: boolean;
}

export interface CertificateSettings {
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  dataDir: string;
  hostname: string;
}

/** Reads (or first generates) the certificate and checks that key and certificate belong together. */
export async function loadTlsCertificate(settings: CertificateSettings, logger: Logger): Promise<TlsCertificate> {
  const given = settings.tlsCertFile !== undefined && settings.tlsKeyFile !== undefined;
  const certFile = settings.tlsCertFile ?? path.join(settings.dataDir, 'tls', 'selfsigned-cert.pem');
  const keyFile = settings.tlsKeyFile ?? path.join(settings.dataDir, 'tls', 'selfsigned-key.pem');
  if (!given && !(await readable(certFile, keyFile))) {
    await generateSelfSignedCertificate(settings.hostname, keyFile, certFile);
    logger.info({ certFile }, 'generated a self-signed TLS certificate for SMTP submission');
  }
  const variable = given ? 'OUTPOST_TLS_CERT / OUTPOST_TLS_KEY' : `the self-signed certificate in ${path.dirname(certFile)}`;
  let key: string;
  let cert: string;
  try {
    [cert, key] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  } catch (error) {
    throw outpostError('config_invalid', `${variable}: cannot read ${(error as { path?: string }).path ?? certFile}: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
  try {
    tls.createSecureContext({ key, cert, ...TLS_SETTINGS });
  } catch (error) {
    throw outpostError('config_invalid', `${variable}: not a usable PEM certificate and matching key (${(error as Error).message})`);
  }
  if (!given) {
    logger.warn({ certFile }, 'SMTP submission uses a self-signed certificate: clients must skip verification; set OUTPOST_TLS_CERT and OUTPOST_TLS_KEY for a trusted one');
  }
  return { key, cert, certFile, generated: !given };
}

/** Writes a new self-signed certificate (EC P-256, CN and SAN = hostname) and its key (mode 0600). */
export async function generateSelfSignedCertificate(hostname: string, keyFile: string, certFile: string): Promise<void> {
  const directory = path.dirname(certFile);
  // a name openssl's -subj and -addext take as they are
  const name = /^[A-Za-z0-9.-]{1,253}$/.test(hostname) ? hostname : 'localhost';
  try {
    await mkdir(directory, { recursive: true, mode: 0o700 });
    // generated beside the final place, then renamed: a crash never leaves a key without its certificate
    const scratch = await mkdtemp(path.join(directory, '.generating-'));
    try {
      const [newKey, newCert] = [path.join(scratch, 'key.pem'), path.join(scratch, 'cert.pem')];
      await promisify(execFile)('openssl', [
        'req', '-x509', '-nodes', '-days', '3650',
        // P-256: generated in milliseconds, and supported by every TLS 1.2 client
        '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
        '-subj', `/CN=${name}`,
        '-addext', `subjectAltName=DNS:${name}`,
        '-keyout', newKey, '-out', newCert,
      ]);
      await rename(newKey, keyFile);
      await rename(newCert, certFile);
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  } catch (error) {
    const failure = error as { code?: string; syscall?: string; stderr?: string };
    const reason = failure.code === 'ENOENT' && failure.syscall?.startsWith('spawn')
      ? 'the openssl command is not installed (apt-get install openssl)'
      : (failure.stderr?.trim().split('\n')[0] || (error as Error).message);
    throw outpostError('config_invalid', `cannot generate a self-signed TLS certificate in ${directory}: ${reason}; or set OUTPOST_TLS_CERT and OUTPOST_TLS_KEY to a certificate and key`);
  }
}

async function readable(...files: string[]): Promise<boolean> {
  try {
    await Promise.all(files.map((file) => readFile(file)));
    return true;
  } catch {
    return false;
  }
}
