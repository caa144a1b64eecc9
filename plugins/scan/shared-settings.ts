/**
 * Settings the scanner adapters share (one variable, read by each adapter that
 * declares it) and the parsers their own settings need: a daemon's address
 * (host:port or a unix socket path) and a spam score. It reads nothing itself
 * and never connects anywhere.
 */
import net from 'node:net';
import { parse, setting } from 'outpost/plugin';

/** Where a scanner daemon listens: TCP, or a unix socket. */
export type DaemonAddress = { host: string; port: number } | { path: string };

/** `host:port`, `[v6]:port` or a unix socket path (starting with / or .); empty = the adapter is off. */
export function parseDaemonAddress(text: string, variable: string): DaemonAddress | undefined {
  if (!text) return undefined;
  if (text.startsWith('/') || text.startsWith('.')) return { path: text };
  const match = /^\[([^\]]+)\]:(\d{1,5})$/.exec(text) ?? /^([^:[\]]+):(\d{1,5})$/.exec(text);
  const port = Number(match?.[2]);
  if (!match || port < 1 || port > 65535 || (match[0].startsWith('[') && !net.isIPv6(match[1]!))) {
    throw new Error(`is not an address; write host:port (127.0.0.1:3310), [::1]:3310 or a unix socket path (/run/clamav/clamd.ctl); ${variable} empty turns the scanner off`);
  }
  return { host: match[1]!, port };
}

/** The address as it is written in logs and replies. */
export function describeAddress(address: DaemonAddress): string {
  return 'path' in address ? address.path : `${address.host.includes(':') ? `[${address.host}]` : address.host}:${address.port}`;
}

/** A spam score such as 5 or 6.5. */
export function parseScore(text: string): number {
  const score = Number(text);
  if (!/^-?\d+(\.\d+)?$/.test(text) || !Number.isFinite(score)) throw new Error('is not a score; write a number such as 5 or 6.5');
  return score;
}

/** A whole number of bytes of at least 1 KiB. */
export const byteCount = parse.count(1024);

/** The adapters' common settings: how long a daemon may take, and what a silent one means. */
export const ADAPTER_SETTINGS = {
  timeoutMs: setting({
    env: 'OUTPOST_SCAN_TIMEOUT', default: '5s', parse: parse.duration,
    doc: 'how long a scanner daemon may take to answer; keep it under OUTPOST_HOOK_TIMEOUT (10s) so a slow daemon answers scanner_unavailable',
  }),
  failOpen: setting({
    env: 'OUTPOST_SCAN_FAIL_OPEN', default: 'false', parse: parse.boolean,
    doc: 'true: a scanner daemon that is down or too slow lets the message pass with X-Outpost-Scan: <scanner> unavailable; false: 451 4.7.1, the client retries',
  }),
};
