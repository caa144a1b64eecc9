// Tests core/send/smtp-reply.ts (parseSmtpReply, isSuccess) and the classification of failed attempts (core/send/delivery-group.ts).
import assert from 'node:assert/strict';
import { failureOutcome } from '../../../core/send/delivery-group.js';
import { isSuccess, parseSmtpReply } from '../../../core/send/smtp-reply.js';

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

describe('isSuccess', () => {
  it('is true for 2xx only', () => {
    for (const code of [200, 250, 251, 299]) assert.equal(isSuccess(code), true);
    for (const code of [354, 334, 199, 0, 400, 451, 550]) assert.equal(isSuccess(code), false);
  });
});

describe('failureOutcome: a failed attempt goes through the one classifier', () => {
  const attempt = (response: string, extra: { code?: number; status?: string } = {}) => ({ at: 0, response, durationMs: 1, ...extra });
  const classificationOf = (outcome: ReturnType<typeof failureOutcome>) => ('classification' in outcome ? outcome.classification : undefined);

  it('bounces 550 5.1.1 as a hard userunknown', () => {
    const outcome = failureOutcome(attempt('550 5.1.1 <a@x.test>: user unknown', { code: 550, status: '5.1.1' }));
    assert.equal(outcome.kind, 'permanent');
    assert.deepEqual({ reason: classificationOf(outcome)?.reason, type: classificationOf(outcome)?.type }, { reason: 'userunknown', type: 'hard' });
  });

  it('bounces a 4xx that a rule knows to be final, and retries a greylisting 5xx', () => {
    assert.equal(failureOutcome(attempt('450 4.1.1 <a@x.test>: Recipient address rejected: User unknown in local recipient table', { code: 450, status: '4.1.1' })).kind, 'permanent');
    assert.equal(failureOutcome(attempt('550 5.7.1 Greylisted, please try again later', { code: 550, status: '5.7.1' })).kind, 'temporary');
  });

  it('retries a mailbox full 452 and a failure without any reply', () => {
    assert.equal(failureOutcome(attempt('452 4.2.2 mailbox full', { code: 452, status: '4.2.2' })).kind, 'temporary');
    assert.equal(failureOutcome(attempt('connect ECONNREFUSED 127.0.0.1:25')).kind, 'temporary');
  });

  it('reads the code and status from the reply text when the attempt has none (a greeting)', () => {
    const outcome = failureOutcome(attempt('554 5.7.1 Service unavailable; client host blocked using zen.spamhaus.org'));
    assert.equal(outcome.kind, 'permanent');
    assert.equal(classificationOf(outcome)?.reason, 'blocked');
  });
});
