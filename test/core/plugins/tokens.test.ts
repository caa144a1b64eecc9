/**
 * Plugin tokens: what was signed comes back, anything else does not, including
 * another spelling of the same signature bytes (base64url's spare bits).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { pluginTokens } from '../../../core/plugins/tokens.js';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

describe('plugin tokens', () => {
  const tokens = pluginTokens(randomBytes(32));

  it('gives back the data of a token it made, and nothing for another key\'s', () => {
    const token = tokens.sign('m1|user@dest.test|https://example.org/');
    assert.equal(tokens.verify(token), 'm1|user@dest.test|https://example.org/');
    assert.equal(pluginTokens(randomBytes(32)).verify(token), undefined);
  });

  it('refuses every change of the last character, even one that decodes to the same signature bytes', () => {
    const token = tokens.sign('m1|user@dest.test');
    const last = token.at(-1)!;
    const sameBytes = [...ALPHABET].filter((char) => char !== last && Buffer.from(token.slice(token.lastIndexOf('.') + 1, -1) + char, 'base64url').equals(Buffer.from(token.slice(token.lastIndexOf('.') + 1), 'base64url')));
    assert.ok(sameBytes.length > 0, 'base64url has spare bits in the last character of 16 bytes');
    for (const char of ALPHABET) if (char !== last) assert.equal(tokens.verify(token.slice(0, -1) + char), undefined, `last character ${char}`);
  });

  it('refuses changed data, a missing signature and garbage', () => {
    const token = tokens.sign('m1');
    const [payload, signature] = token.split('.') as [string, string];
    assert.equal(tokens.verify(`${Buffer.from('m2').toString('base64url')}.${signature}`), undefined);
    assert.equal(tokens.verify(payload), undefined);
    assert.equal(tokens.verify(`${payload}.`), undefined);
    assert.equal(tokens.verify('.'.repeat(5000)), undefined);
  });
});
