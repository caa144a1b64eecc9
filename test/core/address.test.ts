// Tests core/address.ts: the narrow envelope address syntax Outpost sends to, relay forms, and the one
// reading of From/Sender mailboxes and bare REST addresses that every front end shares.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import parseRfc5322 from 'email-addresses';
import addressparser from 'nodemailer/lib/addressparser';
import { bareAddressProblem, envelopeAddressProblem, PLAIN_MAILBOX, parseMailboxList, relayFormOf } from '../../core/address.js';

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

  it('refuses the percent hack and bang paths (legal atext, but relays read them as routes), for every front end', () => {
    assert.match(envelopeAddressProblem('x%y@a.test')!, /percent hack/);
    assert.match(envelopeAddressProblem('y!x@a.test')!, /bang path/);
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

describe('relayFormOf', () => {
  it('names each classic relay form, and nothing for a plain address', () => {
    assert.match(relayFormOf('x%dest.test@outpost.test')!, /percent hack/);
    assert.match(relayFormOf('@a.test,@b.test:x@dest.test')!, /source route/);
    assert.match(relayFormOf('dest.test!x')!, /bang path/);
    assert.match(relayFormOf('"x@dest.test"@outpost.test')!, /quoted local part/);
    assert.equal(relayFormOf('first.last+tag@dest.test'), undefined);
    assert.equal(relayFormOf(''), undefined);
  });
});

describe('parseMailboxList', () => {
  it('reads the usual From forms: bare, named, quoted, encoded, UTF-8, commented, folded, several', () => {
    const cases: [string, [string, string][]][] = [
      ['news@acme.test', [['', 'news@acme.test']]],
      ['News <news@acme.test>', [['News', 'news@acme.test']]],
      ['"Müller, Jörg" <news@acme.test>', [['Müller, Jörg', 'news@acme.test']]],
      ['=?UTF-8?Q?J=C3=B6rg?= <news@acme.test>', [['=?UTF-8?Q?J=C3=B6rg?=', 'news@acme.test']]],
      ['José <josé@exämple.test>', [['José', 'josé@exämple.test']]],
      ['news@acme.test (Newsletter)', [['Newsletter', 'news@acme.test']]],
      ['John Q. Public <news@acme.test>', [['John Q. Public', 'news@acme.test']]],
      ['News\r\n <news@acme.test>', [['News', 'news@acme.test']]],
      ['a@acme.test, B <b@acme.test>', [['', 'a@acme.test'], ['B', 'b@acme.test']]],
    ];
    for (const [value, expected] of cases) {
      assert.deepEqual(parseMailboxList(value).mailboxes?.map((mailbox) => [mailbox.name, mailbox.address]), expected, value);
    }
  });

  it('refuses an address the envelope check refuses, with its reason', () => {
    for (const address of ['ceo@other.test@acme.test', 'ceo\\@other.test@acme.test', '"ceo@other.test"@acme.test', 'x%y@acme.test']) {
      assert.equal(parseMailboxList(`Sales <${address}>`).problem, envelopeAddressProblem(address), address);
    }
  });

  it('refuses what RFC 5322 cannot read though a lenient parser finds an address in it', () => {
    for (const value of ['ceo@other.test <news@acme.test>', '<news@acme.test> ceo@other.test', 'news@acme.test ceo@other.test', 'news@acme.test,']) {
      assert.match(parseMailboxList(value).problem ?? '', /is not a list of mailboxes RFC 5322 can read/, value);
    }
  });

  it('skips the strict parser only for plain mailboxes, which both parsers read alike (2,000 random ones)', () => {
    const pick = (chars: string, min: number, max: number) => Array.from({ length: randomInt(min, max + 1) }, () => chars[randomInt(chars.length)]).join('');
    const letters = 'abcXYZ019';
    for (let index = 0; index < 2000; index++) {
      const address = `${pick(letters + '_+-', 1, 1)}${pick(letters + '._+-', 0, 8)}@${pick(letters + '-', 1, 6)}.${pick(letters, 1, 4)}`;
      const value = index % 2 === 0 ? address : `${pick(letters, 1, 1)}${pick(letters + " '-", 0, 10)} <${address}>`;
      if (!PLAIN_MAILBOX.test(value)) continue;
      const strict = parseRfc5322({ input: value, startAt: 'mailbox-list', rfc6532: true });
      assert.ok(strict, `the strict parser reads ${value}`);
      const lenient = addressparser(value).map((entry) => ('address' in entry ? entry.address : ''));
      assert.deepEqual(strict.addresses.map((mailbox) => ('address' in mailbox ? mailbox.address : '')), lenient, value);
    }
    for (const value of ['"a@b" <x@acme.test>', 'a.b <x@acme.test>', 'x@acme.test, y@acme.test', 'x@acme.test (c)', 'Zoë <x@acme.test>']) assert.equal(PLAIN_MAILBOX.test(value), false, value);
  });

  it('refuses groups, names without an address, and nothing', () => {
    assert.match(parseMailboxList('Team: a@acme.test, b@acme.test;').problem!, /is a group/);
    assert.match(parseMailboxList('Undisclosed recipients').problem!, /names no address/);
    assert.match(parseMailboxList('  ').problem!, /names no address/);
  });
});

describe('bareAddressProblem', () => {
  it('takes a bare address and nothing else', () => {
    assert.equal(bareAddressProblem('sender@acme.test'), undefined);
    for (const value of ['Sender <sender@acme.test>', 'sender@acme.test (comment)', 'a@acme.test, b@acme.test', 'sender', 'y!x@acme.test']) {
      assert.notEqual(bareAddressProblem(value), undefined, value);
    }
  });

  it('gives the reason the From header check gives for the same address', () => {
    for (const address of ['ceo@other.test@acme.test', 'ceo\\@other.test@acme.test', '"ceo@other.test"@acme.test', 'y!x@acme.test']) {
      assert.equal(bareAddressProblem(address), parseMailboxList(`Sales <${address}>`).problem, address);
    }
  });
});
