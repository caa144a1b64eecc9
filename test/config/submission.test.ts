// Tests the SMTP submission settings of loadConfig: SPEC defaults, overrides, and errors naming the variable.
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { isOutpostError } from '../../core/errors.js';

function throwsNaming(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => isOutpostError(error, 'config_invalid') && error.message.includes(variable),
  );
}

describe('loadConfig: SMTP submission', () => {
  it('defaults to 0.0.0.0, 587 and 465, a generated certificate, and the documented limits', () => {
    const config = loadConfig({});
    assert.equal(config.smtpHost, '0.0.0.0');
    assert.equal(config.submissionPort, 587);
    assert.equal(config.submissionTlsPort, 465);
    assert.equal(config.tlsCertFile, undefined);
    assert.equal(config.tlsKeyFile, undefined);
    assert.equal(config.submission.maxLineBytes, 998);
    assert.equal(config.submission.idleTimeoutMs, 60_000);
    assert.equal(config.submission.commandTimeoutMs, 300_000);
    assert.equal(config.submission.authThrottle.lockoutMs, 900_000);
  });

  it('takes overrides, off, and the certificate files as absolute paths', () => {
    const config = loadConfig({
      OUTPOST_SMTP_HOST: '127.0.0.1',
      OUTPOST_SUBMISSION_PORT: 'off',
      OUTPOST_SUBMISSION_TLS_PORT: '2465',
      OUTPOST_TLS_CERT: 'certs/cert.pem',
      OUTPOST_TLS_KEY: '/etc/outpost/key.pem',
      OUTPOST_SUBMISSION_TRANSACTION_TIMEOUT: '90s',
      OUTPOST_AUTH_LOCKOUT_FAILURES: '3',
    });
    assert.equal(config.smtpHost, '127.0.0.1');
    assert.equal(config.submissionPort, 'off');
    assert.equal(config.submissionTlsPort, 2465);
    assert.equal(config.tlsCertFile, path.resolve('certs/cert.pem'));
    assert.equal(config.tlsKeyFile, '/etc/outpost/key.pem');
    assert.equal(config.submission.transactionTimeoutMs, 90_000);
    assert.equal(config.submission.authThrottle.lockoutFailures, 3);
  });

  it('refuses bad values, naming the variable', () => {
    throwsNaming({ OUTPOST_SUBMISSION_PORT: '99999' }, 'OUTPOST_SUBMISSION_PORT');
    throwsNaming({ OUTPOST_TLS_CERT: 'cert.pem' }, 'OUTPOST_TLS_KEY');
    throwsNaming({ OUTPOST_TLS_KEY: 'key.pem' }, 'OUTPOST_TLS_CERT');
    throwsNaming({ OUTPOST_SUBMISSION_MAX_LINE_BYTES: '500' }, 'OUTPOST_SUBMISSION_MAX_LINE_BYTES');
    throwsNaming({ OUTPOST_SUBMISSION_IDLE_TIMEOUT: 'soon' }, 'OUTPOST_SUBMISSION_IDLE_TIMEOUT');
    throwsNaming({ OUTPOST_AUTH_LOCKOUT_FAILURES: '0' }, 'OUTPOST_AUTH_LOCKOUT_FAILURES');
  });
});
