// Tests core/bounces/return-path.ts: signed, expiring return-path tokens.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ReturnPathTokens } from '../../../core/bounces/return-path.js';
import { newMessageId } from '../../../core/spool/records.js';

describe('ReturnPathTokens', () => {
  const DAY = 86_400_000;
  const key = randomBytes(32);
  let now = Date.UTC(2026, 11, 6, 12);
  const tokens = new ReturnPathTokens(key, 30 * DAY, () => now);
  const messageId = newMessageId(now);

  it('names its message, in an address of the bounce domain', () => {
    const address = tokens.address(messageId, now, 'bounce.acme.test');
    assert.match(address, /^bounce\+[0-9a-z]{25}\.[0-9a-z]+\.[a-z2-7]{10}@bounce\.acme\.test$/);
    assert.ok(address.split('@')[0]!.length <= 64, 'a local part fits RFC 5321');
    assert.deepEqual(tokens.verify(ReturnPathTokens.parse(address)!.token), { messageId });
  });

  it('reads a token whatever case an MTA gave the local part', () => {
    assert.deepEqual(tokens.verify(tokens.token(messageId, now).toUpperCase()), { messageId });
  });

  it('refuses a token with another message id, another expiry or another key, and a malformed one', () => {
    const token = tokens.token(messageId, now);
    const [, day, signature] = token.split('.');
    assert.deepEqual(tokens.verify(`${newMessageId(now + 1)}.${day}.${signature}`), { problem: 'forged' });
    assert.deepEqual(tokens.verify(`${messageId}.${(parseInt(day!, 36) + 10).toString(36)}.${signature}`), { problem: 'forged' });
    assert.deepEqual(new ReturnPathTokens(randomBytes(32), 30 * DAY, () => now).verify(token), { problem: 'forged' });
    for (const bad of ['', 'abc', `${messageId}`, `${messageId}..x`, `${token}x`]) assert.deepEqual(tokens.verify(bad), { problem: 'malformed' });
  });

  it('expires the validity after the message was accepted, to the day', () => {
    const token = tokens.token(messageId, now);
    now += 30 * DAY;
    assert.deepEqual(tokens.verify(token), { messageId }, 'still valid on its last day');
    now += 2 * DAY;
    assert.deepEqual(tokens.verify(token), { problem: 'expired' });
  });

  it('finds the token and its purpose only in bounce+ and unsubscribe+ addresses', () => {
    assert.deepEqual(ReturnPathTokens.parse('bounce+abc.def.ghi@bounce.x.test'), { purpose: 'bounce', token: 'abc.def.ghi' });
    assert.deepEqual(ReturnPathTokens.parse('Unsubscribe+abc.def.ghi@bounce.x.test'), { purpose: 'unsubscribe', token: 'abc.def.ghi' });
    assert.equal(ReturnPathTokens.parse('postmaster@outpost.test'), undefined);
    assert.equal(ReturnPathTokens.parse('news+abc@bounce.x.test'), undefined);
  });
});
