// Tests config/index.ts loadConfig: defaults, OUTPOST_* overrides and the config_invalid errors bad values raise.
import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../config/index.js';
import { readSettings } from '../../config/setting.js';
import { SETTINGS } from '../../config/settings.js';
import { isOutpostError } from '../../core/errors.js';

function throwsNaming(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env),
    (error: unknown) => {
      assert.ok(isOutpostError(error, 'config_invalid'), `expected a config_invalid error, got ${String(error)}`);
      assert.ok(error.message.includes(variable), `message should name ${variable}: ${error.message}`);
      return true;
    },
  );
}

/** Each setting's default, read straight from the table. */
const DEFAULTS = readSettings(SETTINGS, {});

describe('loadConfig', () => {
  describe('defaults (empty env)', () => {
    const config = loadConfig({});

    it('uses the documented defaults', () => {
      assert.equal(config.dataDir, path.resolve('./data'));
      assert.equal(config.hostname, os.hostname());
      assert.equal(config.httpHost, '0.0.0.0');
      assert.equal(config.httpPort, 8080);
      assert.equal(config.publicUrl, `http://${os.hostname()}:8080`);
      assert.deepEqual(config.dnsServers, []);
      assert.equal(config.redisUrl, undefined);
      assert.equal(config.logLevel, 'info');
      assert.deepEqual(config.plugins, []);
      assert.equal(config.hookTimeoutMs, DEFAULTS.hookTimeoutMs);
      assert.equal(config.shutdownGraceMs, DEFAULTS.shutdownGraceMs);
    });

    it('builds the delivery settings', () => {
      assert.equal(config.delivery.port, 25);
      assert.deepEqual(config.delivery.retryScheduleMs, [300_000, 600_000, 1_800_000, 3_600_000, 7_200_000, 14_400_000]);
      assert.equal(config.delivery.maxQueueTimeMs, 5 * 86_400_000);
      assert.equal(config.delivery.allowPrivateTargets, false);
      assert.equal(config.delivery.maxConnections, DEFAULTS.delivery.maxConnections);
      assert.equal(config.delivery.greetingTimeoutMs, DEFAULTS.delivery.greetingTimeoutMs);
      assert.deepEqual(config.spool, DEFAULTS.spool);
    });

    it('treats blank variables as unset', () => {
      const blank = loadConfig({ OUTPOST_HTTP_PORT: '  ', OUTPOST_RETRY_SCHEDULE: '', OUTPOST_HOSTNAME: '' });
      assert.equal(blank.httpPort, 8080);
      assert.equal(blank.delivery.retryScheduleMs.length, 6);
      assert.equal(blank.hostname, os.hostname());
    });
  });

  it('applies OUTPOST_* overrides', () => {
    const config = loadConfig({
      OUTPOST_DATA_DIR: '/tmp/outpost-data',
      OUTPOST_HOSTNAME: ' mx.example.test ',
      OUTPOST_HTTP_HOST: '127.0.0.1',
      OUTPOST_HTTP_PORT: '9090',
      OUTPOST_DNS_SERVERS: '127.0.0.1:5353, 10.0.0.1',
      OUTPOST_DELIVERY_PORT: '2525',
      OUTPOST_RETRY_SCHEDULE: '1m,5m*2,1h',
      OUTPOST_MAX_QUEUE_TIME: '2h',
      OUTPOST_ALLOW_PRIVATE_TARGETS: 'yes',
      OUTPOST_REDIS_URL: 'redis://127.0.0.1:6379',
      OUTPOST_SECRET_KEY: 'ab'.repeat(32),
      OUTPOST_ADMIN_KEY: 'shared-admin-key',
      OUTPOST_LOG_LEVEL: 'debug',
      OUTPOST_PLUGINS: ' a , ,b,',
    });
    assert.equal(config.dataDir, '/tmp/outpost-data');
    assert.equal(config.hostname, 'mx.example.test');
    assert.equal(config.httpHost, '127.0.0.1');
    assert.equal(config.httpPort, 9090);
    assert.equal(config.publicUrl, 'http://mx.example.test:9090');
    assert.deepEqual(config.dnsServers, ['127.0.0.1:5353', '10.0.0.1']);
    assert.equal(config.delivery.port, 2525);
    assert.deepEqual(config.delivery.retryScheduleMs, [60_000, 300_000, 300_000, 3_600_000]);
    assert.equal(config.delivery.maxQueueTimeMs, 7_200_000);
    assert.equal(config.delivery.allowPrivateTargets, true);
    assert.equal(config.redisUrl, 'redis://127.0.0.1:6379');
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(config.plugins, ['a', 'b']);
  });

  it('keeps an explicit OUTPOST_PUBLIC_URL', () => {
    assert.equal(loadConfig({ OUTPOST_PUBLIC_URL: 'https://mail.example.test' }).publicUrl, 'https://mail.example.test');
  });

  it('resolves a relative data dir against the working directory', () => {
    assert.equal(loadConfig({ OUTPOST_DATA_DIR: 'spool' }).dataDir, path.resolve('spool'));
  });

  it('accepts off (any case) and 0 for the HTTP port', () => {
    assert.equal(loadConfig({ OUTPOST_HTTP_PORT: 'off' }).httpPort, 'off');
    assert.equal(loadConfig({ OUTPOST_HTTP_PORT: 'OFF' }).httpPort, 'off');
    assert.equal(loadConfig({ OUTPOST_HTTP_PORT: '0' }).httpPort, 0);
    assert.equal(loadConfig({ OUTPOST_HTTP_PORT: '65535' }).httpPort, 65535);
  });

  it('refuses off or 0 as the delivery port', () => {
    throwsNaming({ OUTPOST_DELIVERY_PORT: 'off' }, 'OUTPOST_DELIVERY_PORT');
    throwsNaming({ OUTPOST_DELIVERY_PORT: '0' }, 'OUTPOST_DELIVERY_PORT');
  });

  it('refuses bad ports, naming the variable', () => {
    for (const bad of ['-1', '65536', '80.5', 'http', '8080x', '0x50', '1e3']) {
      throwsNaming({ OUTPOST_HTTP_PORT: bad }, 'OUTPOST_HTTP_PORT');
      throwsNaming({ OUTPOST_DELIVERY_PORT: bad }, 'OUTPOST_DELIVERY_PORT');
    }
  });

  it('parses booleans in their usual spellings', () => {
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on']) assert.equal(loadConfig({ OUTPOST_ALLOW_PRIVATE_TARGETS: yes }).delivery.allowPrivateTargets, true);
    for (const no of ['false', 'False', '0', 'no', 'off']) assert.equal(loadConfig({ OUTPOST_ALLOW_PRIVATE_TARGETS: no }).delivery.allowPrivateTargets, false);
  });

  it('refuses a bad boolean, naming the variable', () => {
    for (const bad of ['maybe', 'y', '2', 'truee']) throwsNaming({ OUTPOST_ALLOW_PRIVATE_TARGETS: bad }, 'OUTPOST_ALLOW_PRIVATE_TARGETS');
  });

  it('reads the delivery limits and timeouts, the spool sizes, the hook timeout and the shutdown grace', () => {
    const config = loadConfig({
      OUTPOST_DELIVERY_MAX_CONNECTIONS: '40',
      OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN: '20',
      OUTPOST_DELIVERY_MAX_RECIPIENTS_PER_TRANSACTION: '50',
      OUTPOST_DELIVERY_MAX_MESSAGES_PER_CONNECTION: '7',
      OUTPOST_DELIVERY_IDLE_TIMEOUT: '2s',
      OUTPOST_DELIVERY_CLOSE_TIMEOUT: '3s',
      OUTPOST_DELIVERY_CONNECT_TIMEOUT: '4s',
      OUTPOST_DELIVERY_GREETING_TIMEOUT: '1m',
      OUTPOST_DELIVERY_REPLY_TIMEOUT: '2m',
      OUTPOST_DELIVERY_REQUIRE_TLS: 'yes',
      OUTPOST_DELIVERY_VERIFY_CERT: 'true',
      OUTPOST_MX_CACHE_TIME: '0.5s',
      OUTPOST_MAX_MESSAGE_BYTES: '1048576',
      OUTPOST_SPOOL_CHUNK_BYTES: '4096',
      OUTPOST_HOOK_TIMEOUT: '250ms',
      OUTPOST_SHUTDOWN_GRACE: '5s',
    });
    assert.deepEqual(
      { ...config.delivery, port: undefined, retryScheduleMs: undefined, maxQueueTimeMs: undefined, allowPrivateTargets: undefined },
      {
        port: undefined, retryScheduleMs: undefined, maxQueueTimeMs: undefined, allowPrivateTargets: undefined,
        maxConnections: 40, maxConnectionsPerDomain: 20, maxRecipientsPerTransaction: 50, maxMessagesPerConnection: 7,
        idleConnectionMs: 2000, closeTimeoutMs: 3000, connectTimeoutMs: 4000, greetingTimeoutMs: 60_000, replyTimeoutMs: 120_000,
        requireTls: true, verifyCert: true, mxCacheMs: 500,
      },
    );
    assert.deepEqual(config.spool, { bodyChunkBytes: 4096, maxMessageBytes: 1_048_576, maxQueuedRecipients: 250_000 });
    assert.equal(config.hookTimeoutMs, 250);
    assert.equal(config.shutdownGraceMs, 5000);
  });

  it('refuses bad delivery limits and timeouts, naming the variable', () => {
    throwsNaming({ OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN: '0' }, 'OUTPOST_DELIVERY_MAX_CONNECTIONS_PER_DOMAIN');
    throwsNaming({ OUTPOST_DELIVERY_REPLY_TIMEOUT: '10' }, 'OUTPOST_DELIVERY_REPLY_TIMEOUT');
    throwsNaming({ OUTPOST_DELIVERY_CLOSE_TIMEOUT: '0s' }, 'OUTPOST_DELIVERY_CLOSE_TIMEOUT');
    throwsNaming({ OUTPOST_DELIVERY_VERIFY_CERT: 'sometimes' }, 'OUTPOST_DELIVERY_VERIFY_CERT');
    throwsNaming({ OUTPOST_SPOOL_CHUNK_BYTES: '10' }, 'OUTPOST_SPOOL_CHUNK_BYTES');
    throwsNaming({ OUTPOST_HOOK_TIMEOUT: 'soon' }, 'OUTPOST_HOOK_TIMEOUT');
  });

  it('takes the queue guard from OUTPOST_MAX_QUEUED_RECIPIENTS and refuses a bad one, naming it', () => {
    assert.equal(loadConfig({}).spool.maxQueuedRecipients, 250_000);
    assert.equal(loadConfig({ OUTPOST_MAX_QUEUED_RECIPIENTS: '5000' }).spool.maxQueuedRecipients, 5000);
    for (const bad of ['0', '-1', '1e6', 'lots']) throwsNaming({ OUTPOST_MAX_QUEUED_RECIPIENTS: bad }, 'OUTPOST_MAX_QUEUED_RECIPIENTS');
  });

  it('refuses bad durations and schedules, naming the variable', () => {
    throwsNaming({ OUTPOST_MAX_QUEUE_TIME: '5 days' }, 'OUTPOST_MAX_QUEUE_TIME');
    throwsNaming({ OUTPOST_RETRY_SCHEDULE: '5m,1h*0' }, 'OUTPOST_RETRY_SCHEDULE');
    throwsNaming({ OUTPOST_RETRY_SCHEDULE: '5m,,1h' }, 'OUTPOST_RETRY_SCHEDULE');
  });

  it('accepts DNS servers as ip, ip:port, bare IPv6 and [IPv6]:port', () => {
    assert.deepEqual(loadConfig({ OUTPOST_DNS_SERVERS: '[::1]:53' }).dnsServers, ['[::1]:53']);
    assert.deepEqual(loadConfig({ OUTPOST_DNS_SERVERS: '[::1]' }).dnsServers, ['[::1]']);
    assert.deepEqual(loadConfig({ OUTPOST_DNS_SERVERS: '::1' }).dnsServers, ['::1']);
    assert.deepEqual(loadConfig({ OUTPOST_DNS_SERVERS: '::ffff:1.2.3.4' }).dnsServers, ['::ffff:1.2.3.4']);
    assert.deepEqual(loadConfig({ OUTPOST_DNS_SERVERS: '8.8.8.8,1.1.1.1:53' }).dnsServers, ['8.8.8.8', '1.1.1.1:53']);
  });

  it('refuses bad DNS servers, naming the variable', () => {
    for (const bad of ['dns.example', '127.0.0.1:99999', '127.0.0.1:0', '127.0.0.1:', '[::1]:99999', '[dns.example]:53', '300.1.1.1', '127.0.0.1,dns.example', '127.0.0.1:53:54', '127.0.0.1:5.5', '127.0.0.1:0x35']) {
      throwsNaming({ OUTPOST_DNS_SERVERS: bad }, 'OUTPOST_DNS_SERVERS');
    }
  });
});
