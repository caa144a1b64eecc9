// Tests core/address.ts envelopeAddressProblem: the narrow envelope address syntax Outpost sends to.
import assert from 'node:assert/strict';
import { envelopeAddressProblem } from '../../core/address.js';

describe('envelopeAddressProblem', () => {
  it('accepts ordinary addresses', () => {
    for (const address of [
      'user@example.com',
      'first.last@mail.example.co.uk',
      'user+tag@example.com',
      "o'brien@example.com",
      'a_b-c=d@sub-domain.example.test',
      'x@a.b',
      'USER@EXAMPLE.COM',
      '1@123.example',
    ]) {
      assert.equal(envelopeAddressProblem(address), undefined, address);
    }
  });

  it('accepts UTF-8 local parts and domains (SMTPUTF8)', () => {
    assert.equal(envelopeAddressProblem('josé@example.com'), undefined);
    assert.equal(envelopeAddressProblem('用户@例子.测试'), undefined);
    assert.equal(envelopeAddressProblem('δοκιμή@παράδειγμα.δοκιμή'), undefined);
  });

  it('accepts a percent in the local part (legal atext; relay-hack refusal is the listener\'s job)', () => {
    assert.equal(envelopeAddressProblem('x%y@a.test'), undefined);
  });

  it('refuses quoted local parts and spaces', () => {
    for (const address of ['"x@a.test y"@b.test', '"x"@b.test', 'x y@b.test', ' x@b.test', 'x@b.test ']) {
      assert.notEqual(envelopeAddressProblem(address), undefined, address);
    }
    assert.match(envelopeAddressProblem('"x@a.test y"@b.test')!, /local part/);
  });

  it('refuses source routes', () => {
    assert.match(envelopeAddressProblem('@a.test:x@b.test')!, /local part/);
    assert.notEqual(envelopeAddressProblem('@a.test,@c.test:x@b.test'), undefined);
  });

  it('refuses comments', () => {
    assert.notEqual(envelopeAddressProblem('x(comment)@a.test'), undefined);
    assert.notEqual(envelopeAddressProblem('x@(comment)a.test'), undefined);
  });

  it('refuses misplaced dots in the local part', () => {
    for (const address of ['.x@a.test', 'x.@a.test', 'x..y@a.test']) assert.match(envelopeAddressProblem(address)!, /local part/, address);
  });

  it('refuses control characters, brackets and backslashes in the local part', () => {
    for (const address of ['x\r\ny@a.test', 'x\0@a.test', 'x<y@a.test', 'x\\y@a.test', 'x,y@a.test', 'x;y@a.test']) {
      assert.notEqual(envelopeAddressProblem(address), undefined, JSON.stringify(address));
    }
  });

  it('refuses a missing local part or @', () => {
    assert.match(envelopeAddressProblem('@a.test')!, /no local part or no @/);
    assert.match(envelopeAddressProblem('user.example.com')!, /no local part or no @/);
    assert.match(envelopeAddressProblem('')!, /no local part or no @/);
  });

  it('refuses domains without a dot, with empty labels or trailing dots', () => {
    for (const address of ['x@localhost', 'x@', 'x@a..test', 'x@.a.test', 'x@a.test.']) {
      assert.match(envelopeAddressProblem(address)!, /valid domain name/, address);
    }
  });

  it('refuses a label with a leading or trailing hyphen, or bad characters', () => {
    for (const address of ['x@-a.test', 'x@a-.test', 'x@a.-test', 'x@a_b.test', 'x@a b.test', 'x@[192.0.2.1]']) {
      assert.match(envelopeAddressProblem(address)!, /valid domain name/, address);
    }
    assert.equal(envelopeAddressProblem('x@a-b.test'), undefined);
  });

  it('refuses a label over 63 characters', () => {
    assert.equal(envelopeAddressProblem(`x@${'a'.repeat(63)}.test`), undefined);
    assert.match(envelopeAddressProblem(`x@${'a'.repeat(64)}.test`)!, /valid domain name/);
  });

  it('refuses addresses over 254 characters', () => {
    const domain = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.test`; // 196 chars, local part 57
    const fits = `${'u'.repeat(254 - domain.length - 1)}@${domain}`;
    assert.equal(fits.length, 254);
    assert.equal(envelopeAddressProblem(fits), undefined);
    const tooLong = `u${fits}`;
    assert.match(envelopeAddressProblem(tooLong)!, /longer than 254 bytes/);
  });

  it('refuses a local part over 64 characters', () => {
    assert.equal(envelopeAddressProblem(`${'l'.repeat(64)}@a.test`), undefined);
    assert.match(envelopeAddressProblem(`${'l'.repeat(65)}@a.test`)!, /local part .* longer than 64/);
  });
});
