/**
 * Which IP addresses Outpost may connect to when delivering. An MX that
 * resolves to loopback, private, link-local or other non-public space could turn
 * the MTA into a probe of the internal network (SSRF), so such targets are
 * refused unless OUTPOST_ALLOW_PRIVATE_TARGETS is true.
 */
import net from 'node:net';

const NON_PUBLIC = new net.BlockList();
const V4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'unspecified'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'shared (CGNAT)'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'IETF protocol assignments'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
];
const V6_RANGES: [string, number, string][] = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['::', 96, 'IPv4-compatible (deprecated)'],
  ['64:ff9b::', 96, 'NAT64'],
  ['fc00::', 7, 'unique local (private)'],
  ['fe80::', 10, 'link-local'],
  ['ff00::', 8, 'multicast'],
];
for (const [address, prefix] of V4_RANGES) NON_PUBLIC.addSubnet(address, prefix, 'ipv4');
for (const [address, prefix] of V6_RANGES) NON_PUBLIC.addSubnet(address, prefix, 'ipv6');

/** The kind of non-public range `ip` is in ('loopback', 'private'...), or undefined for a public address. */
export function nonPublicRangeOf(ip: string): string | undefined {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  const address = mapped ? mapped[1]! : ip;
  const family = net.isIP(address);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (!NON_PUBLIC.check(address, type)) return undefined;
  const ranges = family === 4 ? V4_RANGES : V6_RANGES;
  for (const [start, prefix, name] of ranges) {
    const single = new net.BlockList();
    single.addSubnet(start, prefix, type);
    if (single.check(address, type)) return name;
  }
  return 'non-public';
}
