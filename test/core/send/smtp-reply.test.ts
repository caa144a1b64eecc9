// Tests core/delivery/smtp-reply.ts: parseSmtpReply and classifySmtpReply.
import assert from 'node:assert/strict';
import { classifySmtpReply, parseSmtpReply } from '../../../core/send/smtp-reply.js';

describe('parseSmtpReply', () => {
  it('parses code, enhanced status and text', () => {
    assert.deepEqual(parseSmtpReply('550 5.1.1 no such user'), { code: 550, status: '5.1.1', text: '550 5.1.1 no such user' });
    assert.deepEqual(parseSmtpReply('451 4.7.1 greylisted, try later'), { code: 451, status: '4.7.1', text: '451 4.7.1 greylisted, try later' });
    assert.deepEqual(parseSmtpReply('250 2.0.0 Ok: queued as 12345'), { code: 250, status: '2.0.0', text: '250 2.0.0 Ok: queued as 12345' });
    assert.deepEqual(parseSmtpReply('552 5.123.456 too big'), { code: 552, status: '5.123.456', text: '552 5.123.456 too big' });
  });

  it('leaves status out when the reply has none', () => {
    assert.deepEqual(parseSmtpReply('250 OK'), { code: 250, text: '250 OK' });
    assert.deepEqual(parseSmtpReply('421 closing'), { code: 421, text: '421 closing' });
    assert.equal('status' in parseSmtpReply('554 no')!, false);
  });

  it('does not take a status-like token that is not followed by text separation as a status', () => {
    assert.deepEqual(parseSmtpReply('550 5.1.1.1 x'), { code: 550, text: '550 5.1.1.1 x' });
  });

  it('joins a multi-line reply into one line', () => {
    assert.deepEqual(parseSmtpReply('550-5.1.1 first line\r\n550 5.1.1 second line'), {
      code: 550,
      status: '5.1.1',
      text: '550-5.1.1 first line 550 5.1.1 second line',
    });
    assert.deepEqual(parseSmtpReply('250-mx.example\n250-SIZE 1000\n250 8BITMIME\n'), { code: 250, text: '250-mx.example 250-SIZE 1000 250 8BITMIME' });
  });

  it('trims surrounding whitespace from the text', () => {
    assert.deepEqual(parseSmtpReply('250 ok\r\n'), { code: 250, text: '250 ok' });
  });

  it('returns undefined for text that is not an SMTP reply', () => {
    for (const reply of ['', 'hello', '99 x', '600 out of range', '199 x', 'x250 ok', ' 250 ok', '2500 x', '250OK']) {
      assert.equal(parseSmtpReply(reply), undefined, JSON.stringify(reply));
    }
  });
});

describe('classifySmtpReply', () => {
  it('2xx is delivered', () => {
    for (const code of [200, 250, 251, 299]) assert.equal(classifySmtpReply(code), 'delivered');
  });

  it('4xx is temporary', () => {
    for (const code of [400, 421, 450, 451, 452, 499]) assert.equal(classifySmtpReply(code), 'temporary');
  });

  it('5xx is permanent', () => {
    for (const code of [500, 550, 552, 554, 599]) assert.equal(classifySmtpReply(code), 'permanent');
  });

  it('anything else (3xx, 1xx) is temporary, never delivered', () => {
    for (const code of [354, 334, 199, 0]) assert.equal(classifySmtpReply(code), 'temporary');
  });

  it('agrees with parseSmtpReply on real replies', () => {
    assert.equal(classifySmtpReply(parseSmtpReply('550 5.1.1 no such user')!.code), 'permanent');
    assert.equal(classifySmtpReply(parseSmtpReply('451 4.7.1 later')!.code), 'temporary');
    assert.equal(classifySmtpReply(parseSmtpReply('250 ok')!.code), 'delivered');
  });
});
