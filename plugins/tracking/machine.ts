/**
 * Telling machine opens and clicks from people's, so the counts do not lie.
 * Apple Mail Privacy Protection fetches every image through Apple's proxies
 * (17.0.0.0/8) as soon as a message reaches the device, read or not; security
 * gateways (Microsoft Defender Safe Links, Proofpoint, Mimecast, Barracuda...)
 * fetch every link and image within seconds of delivery, often with HEAD or a
 * telling User-Agent. A hit counts as a machine's when it is a HEAD, comes from
 * Apple's range, names a known scanner or prefetcher, or comes within
 * OUTPOST_TRACKING_MACHINE_WINDOW of the message being accepted. It is still
 * recorded (with `machine: true`), just not counted as a person's.
 */
import net from 'node:net';

/** User-Agent fragments of link scanners and prefetchers (case-insensitive). */
const MACHINE_AGENTS = /bot\b|crawler|spider|scanner|preview|prefetch|proofpoint|mimecast|barracuda|safelinks|microsoft office|ms-office|outlook-safelinks|forcepoint|symantec|trend ?micro|sophos|cisco|fireeye|zscaler|google-safety|headlesschrome|python-requests|curl\/|wget\//i;

function inApplePrivacyRange(ip: string): boolean {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  return net.isIPv4(address) && address.startsWith('17.');
}

export interface Hit {
  method: string;
  userAgent: string | undefined;
  ip: string;
  /** When the message was accepted (from its id). */
  acceptedAt: number | undefined;
  at: number;
}

export function looksLikeMachine(hit: Hit, windowMs: number): boolean {
  if (hit.method === 'HEAD') return true;
  if (inApplePrivacyRange(hit.ip)) return true;
  if (hit.userAgent && MACHINE_AGENTS.test(hit.userAgent)) return true;
  return windowMs > 0 && hit.acceptedAt !== undefined && hit.at - hit.acceptedAt < windowMs;
}

/** When a message was accepted, read from its id (the time, base 36, in its first 9 characters). */
export function acceptedAtOf(messageId: string): number | undefined {
  if (!/^[0-9a-z]{9}/.test(messageId)) return undefined;
  const at = parseInt(messageId.slice(0, 9), 36);
  return Number.isSafeInteger(at) ? at : undefined;
}
