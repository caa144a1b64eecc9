// Tests the settings table (config/settings.ts) and its kit (config/setting.ts): every row well formed,
// the README's table generated from it, and bad values refused with a config_invalid error naming the variable.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../config/index.js';
import { parse, readSettings, setting, settingRows } from '../../config/setting.js';
import { SETTINGS } from '../../config/settings.js';
import { readmeSettingsTable, settingsMarkdown, withSettingsTable } from '../../config/settings-doc.js';
import { isOutpostError } from '../../core/errors.js';

const rows = settingRows(SETTINGS);

function throwsNaming(load: () => unknown, variable: string, pattern?: RegExp): void {
  assert.throws(load, (error: unknown) => {
    assert.ok(isOutpostError(error, 'config_invalid'), `expected a config_invalid error, got ${String(error)}`);
    assert.ok(error.message.includes(variable), `message should name ${variable}: ${error.message}`);
    if (pattern) assert.match(error.message, pattern);
    return true;
  });
}

describe('SETTINGS', () => {
  it('names an OUTPOST_ variable for every setting, each only once', () => {
    const seen = new Set<string>();
    for (const row of rows) {
      assert.match(row.env, /^OUTPOST_[A-Z0-9_]+$/);
      assert.ok(!seen.has(row.env), `${row.env} appears twice`);
      seen.add(row.env);
    }
  });

  it('gives every setting a one-line doc', () => {
    for (const row of rows) {
      assert.ok(row.doc.trim().length > 0, `${row.env} has no doc`);
      assert.ok(!/[\r\n]/.test(row.doc), `${row.env}: the doc must be one line`);
    }
  });

  it('has defaults that their own parsers accept', () => {
    for (const row of rows) {
      assert.doesNotThrow(() => row.parse(row.default, row.env), `${row.env}: its default "${row.default}" does not parse`);
    }
  });

  it('loads every default when no variable is set', () => {
    assert.doesNotThrow(() => readSettings(SETTINGS, {}));
  });

  it('matches the table of variables in README.md', async () => {
    const readme = await readFile(new URL('../../README.md', import.meta.url), 'utf8');
    assert.equal(
      readmeSettingsTable(readme),
      settingsMarkdown(rows),
      'README.md lists other settings than config/settings.ts: run `npm run docs:settings`',
    );
  });
});

describe('settingsMarkdown', () => {
  const example = [
    setting({ env: 'OUTPOST_A', default: '5m', parse: parse.duration, doc: 'a | b' }),
    setting({ env: 'OUTPOST_B', default: '', parse: parse.optionalText, doc: 'empty = off' }),
  ];

  it('writes one row per setting, in order, an empty default as "empty" and | escaped', () => {
    assert.equal(
      settingsMarkdown(example),
      ['| variable | default | meaning |', '|---|---|---|', '| `OUTPOST_A` | `5m` | a \\| b |', '| `OUTPOST_B` | empty | empty = off |'].join('\n'),
    );
  });

  it('replaces only what is between the markers', () => {
    const readme = 'intro\n<!-- settings:begin -->\nold table\n<!-- settings:end -->\nprose after\n';
    const updated = withSettingsTable(readme, settingsMarkdown(example));
    assert.ok(updated.startsWith('intro\n<!-- settings:begin -->\n\n| variable |'));
    assert.ok(updated.endsWith('| empty = off |\n\n<!-- settings:end -->\nprose after\n'));
    assert.equal(readmeSettingsTable(updated), settingsMarkdown(example));
  });

  it('refuses a README without the markers', () => {
    assert.throws(() => readmeSettingsTable('no markers here'), /settings:begin/);
  });
});

describe('readSettings', () => {
  const table = {
    top: setting({ env: 'OUTPOST_T_TOP', default: '3', parse: parse.count(1), doc: 'd' }),
    nested: {
      names: setting({ env: 'OUTPOST_T_NAMES', default: 'a,b', parse: parse.list, doc: 'd' }),
      strict: setting({
        env: 'OUTPOST_T_STRICT',
        default: 'x',
        parse: (text: string): string => {
          if (text !== 'x') throw new Error('is not x');
          return text;
        },
        doc: 'd',
      }),
    },
  };

  it('reads nested values, the default for unset or blank variables, trimmed text otherwise', () => {
    assert.deepEqual(readSettings(table, {}), { top: 3, nested: { names: ['a', 'b'], strict: 'x' } });
    assert.deepEqual(readSettings(table, { OUTPOST_T_TOP: '  ', OUTPOST_T_NAMES: ' c, ,d, ' }), { top: 3, nested: { names: ['c', 'd'], strict: 'x' } });
    assert.equal(readSettings(table, { OUTPOST_T_TOP: ' 7 ' }).top, 7);
  });

  it('turns any error of a parser into a config_invalid error naming the variable', () => {
    throwsNaming(() => readSettings(table, { OUTPOST_T_STRICT: 'y' }), 'OUTPOST_T_STRICT', /"y" is not x/);
  });

  it('lists the settings flattened in table order', () => {
    assert.deepEqual(settingRows(table).map((row) => row.env), ['OUTPOST_T_TOP', 'OUTPOST_T_NAMES', 'OUTPOST_T_STRICT']);
  });
});

describe('loadConfig: settings without tests of their own elsewhere', () => {
  it('reads OUTPOST_WEBHOOK_TIMEOUT, 10s by default', () => {
    assert.equal(loadConfig({}).webhooks.timeoutMs, 10_000);
    assert.equal(loadConfig({ OUTPOST_WEBHOOK_TIMEOUT: '3s' }).webhooks.timeoutMs, 3000);
  });

  it('takes a rate window of 1s but no shorter', () => {
    assert.equal(loadConfig({ OUTPOST_API_RATE_WINDOW: '1s' }).api.rateLimit.windowMs, 1000);
    throwsNaming(() => loadConfig({ OUTPOST_API_RATE_WINDOW: '999ms' }), 'OUTPOST_API_RATE_WINDOW', /must be at least 1s/);
  });

  it('lets the AUTH delays be 0 but not the lockout', () => {
    assert.equal(loadConfig({ OUTPOST_AUTH_DELAY: '0s' }).submission.authThrottle.delayMs, 0);
    throwsNaming(() => loadConfig({ OUTPOST_AUTH_LOCKOUT: '0s' }), 'OUTPOST_AUTH_LOCKOUT', /must be longer than 0/);
  });

  it('refuses bad values, naming the variable', () => {
    throwsNaming(() => loadConfig({ OUTPOST_WEBHOOK_TIMEOUT: 'soon' }), 'OUTPOST_WEBHOOK_TIMEOUT', /is not a duration/);
    throwsNaming(() => loadConfig({ OUTPOST_WEBHOOK_TIMEOUT: '0s' }), 'OUTPOST_WEBHOOK_TIMEOUT', /must be longer than 0/);
    throwsNaming(() => loadConfig({ OUTPOST_DOMAIN_RECHECK_INTERVAL: '0s' }), 'OUTPOST_DOMAIN_RECHECK_INTERVAL', /must be longer than 0/);
    throwsNaming(() => loadConfig({ OUTPOST_WEBHOOK_RETRY_SCHEDULE: '1m,,5m' }), 'OUTPOST_WEBHOOK_RETRY_SCHEDULE');
    throwsNaming(() => loadConfig({ OUTPOST_SENDING_IPS: '192.0.2.1, mx.example.test' }), 'OUTPOST_SENDING_IPS', /"mx.example.test" is not an IP address/);
    throwsNaming(() => loadConfig({ OUTPOST_API_MAX_JSON_BYTES: '100' }), 'OUTPOST_API_MAX_JSON_BYTES', /is not a whole number of at least 1024/);
    throwsNaming(() => loadConfig({ OUTPOST_SUBMISSION_TLS_PORT: 'tls' }), 'OUTPOST_SUBMISSION_TLS_PORT', /is not a port/);
    throwsNaming(() => loadConfig({ OUTPOST_DELIVERY_REQUIRE_TLS: 'maybe' }), 'OUTPOST_DELIVERY_REQUIRE_TLS', /is not a boolean/);
  });

  it('in cluster mode, requires both shared keys; a blank one counts as unset', () => {
    const cluster = { OUTPOST_REDIS_URL: 'redis://127.0.0.1:6379', OUTPOST_SECRET_KEY: 'ab'.repeat(32), OUTPOST_ADMIN_KEY: 'admin' };
    assert.equal(loadConfig(cluster).adminKey, 'admin');
    throwsNaming(() => loadConfig({ ...cluster, OUTPOST_ADMIN_KEY: ' ' }), 'OUTPOST_ADMIN_KEY');
    throwsNaming(() => loadConfig({ ...cluster, OUTPOST_SECRET_KEY: undefined }), 'OUTPOST_SECRET_KEY');
  });
});
