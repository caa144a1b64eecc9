/**
 * The spool's key layout and record encoding. Every value carries a version byte
 * and a digest of its payload, so a torn or damaged record is recognised at read
 * time instead of being delivered half. Keys sort the way the recovery scan
 * and the body reader need them.
 *
 *   m!<id>              MessageRecord, written last, in the same synced batch as the rest
 *   b!<id>!<chunk>      body bytes, stored once whatever the number of recipients
 *   r!<id>!<index>      RecipientRecord of a recipient still queued or deferred
 *   x!<original key>    quarantined copy of a record that could not be read
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DeliveryOptions } from '../message.js';

const RECORD_VERSION = 1;
/** Bytes of sha256 kept: enough to catch damage, not meant as a security hash. */
export const DIGEST_BYTES = 8;

export interface MessageRecord {
  id: string;
  from: string;
  accountId?: string;
  createdAt: number;
  size: number;
  bodyChunks: number;
  /** Hex digest of the whole stored message, checked when the body is read back. */
  bodyDigest: string;
  /** The message has bytes over 127, so it is sent with BODY=8BITMIME where offered. */
  eightBit: boolean;
  options: DeliveryOptions;
  tags: string[];
  recipientCount: number;
}

export interface RecipientRecord {
  messageId: string;
  index: number;
  address: string;
  domain: string;
  state: 'queued' | 'deferred';
  attempts: number;
  queuedAt: number;
  nextAttemptAt: number;
  lastResponse?: string;
}

export const keys = {
  message: (id: string) => `m!${id}`,
  bodyChunk: (id: string, chunk: number) => `b!${id}!${String(chunk).padStart(6, '0')}`,
  bodyRange: (id: string) => ({ gt: `b!${id}!`, lt: `b!${id}!~` }),
  recipient: (id: string, index: number) => `r!${id}!${String(index).padStart(5, '0')}`,
  recipientRange: (id: string) => ({ gt: `r!${id}!`, lt: `r!${id}!~` }),
  allMessages: { gt: 'm!', lt: 'm!~' },
  allRecipients: { gt: 'r!', lt: 'r!~' },
  allBodies: { gt: 'b!', lt: 'b!~' },
  quarantine: (originalKey: string) => `x!${originalKey}`,
  allQuarantined: { gt: 'x!', lt: 'x!~' },
};

/** The message id inside a spool key (`m!ID`, `b!ID!n`, `r!ID!n`). */
export function messageIdOfKey(key: string): string {
  return key.split('!')[1] ?? '';
}

/**
 * A new message id: time first so ids sort by submission time (newest-first
 * listings are a reverse range scan), then randomness so two nodes never collide.
 */
export function newMessageId(now: number): string {
  return now.toString(36).padStart(9, '0') + idRandomness.next();
}

/**
 * 8 random bytes as hex, taken from a block drawn 512 ids at a time: under
 * load one draw from OpenSSL per id cost about 20 µs of the event loop's
 * time (V8 profile of bench/e2e.ts), a block costs about as much as one.
 */
const idRandomness = {
  block: Buffer.alloc(0),
  offset: 0,
  next(): string {
    if (this.offset >= this.block.length) {
      this.block = randomBytes(8 * 512);
      this.offset = 0;
    }
    this.offset += 8;
    return this.block.toString('hex', this.offset - 8, this.offset);
  },
};

export function digestOf(bytes: Buffer | string): Buffer {
  return createHash('sha256').update(bytes).digest().subarray(0, DIGEST_BYTES);
}

export function encodeRecord(value: object): Buffer {
  const payload = Buffer.from(JSON.stringify(value));
  return Buffer.concat([Buffer.from([RECORD_VERSION]), digestOf(payload), payload]);
}

/** Decodes a record; throws a plain Error saying why when it is torn or damaged. */
export function decodeRecord<T>(stored: Buffer): T {
  if (stored.length < 1 + DIGEST_BYTES + 2) throw new Error(`record too short (${stored.length} bytes)`);
  if (stored[0] !== RECORD_VERSION) throw new Error(`unknown record version ${stored[0]}`);
  const payload = stored.subarray(1 + DIGEST_BYTES);
  if (!digestOf(payload).equals(stored.subarray(1, 1 + DIGEST_BYTES))) throw new Error('record digest mismatch (torn or damaged write)');
  return JSON.parse(payload.toString()) as T;
}
