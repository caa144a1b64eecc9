/**
 * Signed tokens for plugins (PluginApi.tokens): `<data, base64url>.<HMAC-SHA256,
 * 16 bytes, base64url>` with a key derived for the plugin alone, so a token
 * made for one plugin means nothing to another, and none can be changed or
 * made up. Data travels in clear: links in mail are seen by every mailbox on
 * the way.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Tokens } from './plugin-api.js';

/** 128 bits: forging one over HTTP is out of reach, and the token stays short enough for links. */
const SIGNATURE_BYTES = 16;

export function pluginTokens(key: Buffer): Tokens {
  const signature = (payload: string) => createHmac('sha256', key).update(payload).digest().subarray(0, SIGNATURE_BYTES);
  return {
    sign(data) {
      const payload = Buffer.from(data).toString('base64url');
      return `${payload}.${signature(payload).toString('base64url')}`;
    },
    verify(token) {
      const dot = token.lastIndexOf('.');
      if (dot <= 0 || token.length > 4096) return undefined;
      const payload = token.slice(0, dot);
      // compared as text, not decoded: base64url decoding ignores the last character's spare bits,
      // so several spellings decode to the same signature, and a changed token must never pass
      const given = Buffer.from(token.slice(dot + 1));
      const expected = Buffer.from(signature(payload).toString('base64url'));
      if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
      return Buffer.from(payload, 'base64url').toString();
    },
  };
}
