// Tests core/delivery/address-policy.ts nonPublicRangeOf: which target IPs count as non-public.
import assert from 'node:assert/strict';
import { nonPublicRangeOf } from '../../core/private-targets.js';

describe('nonPublicRangeOf', () => {
  const cases: [string, string | undefined][] = [
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.1.1', 'link-local'],
    ['100.64.0.1', 'shared (CGNAT)'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['FE80::1', 'link-local'],
    ['fc00::1', 'unique local (private)'],
    ['fd12:3456::1', 'unique local (private)'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::FFFF:10.0.0.1', 'private'],
    ['8.8.8.8', undefined],
    ['172.32.0.1', undefined],
    ['172.15.255.255', undefined],
    ['11.0.0.1', undefined],
    ['2001:4860:4860::8888', undefined],
    ['::ffff:8.8.8.8', undefined],
  ];
  for (const [ip, expected] of cases) {
    it(`${ip} -> ${String(expected)}`, () => {
      assert.equal(nonPublicRangeOf(ip), expected);
    });
  }

  it('does not let the hex form of a mapped loopback address through', () => {
    assert.notEqual(nonPublicRangeOf('::ffff:7f00:1'), undefined);
  });

  it('says when the input is not an IP address', () => {
    assert.equal(nonPublicRangeOf('mx.example.test'), 'not an IP address');
    assert.equal(nonPublicRangeOf(''), 'not an IP address');
    assert.equal(nonPublicRangeOf('256.1.1.1'), 'not an IP address');
  });
});
