/**
 * Mail the inbound MX listener accepted (bounces, complaints, mail to
 * postmaster@ and abuse@), kept in the spool so a 250 means "on disk", as for
 * any message Outpost acknowledges, and kept OUTPOST_MX_RETENTION for whoever
 * needs to read a report again. What a report changed (recipient status,
 * suppressions) was recorded by the plugins before it was stored here.
 *
 *   n!<received at, base36>!<id>    the envelope (record with digest)
 *   n!<received at, base36>!<id>!b  the message as received
 */
import type { Level } from 'level';
import { SpoolBatch } from './batch.js';
import type { Spool } from './spool.js';
import { encodeRecord } from './records.js';

/** The envelope of an inbound message as stored beside it. */
export interface InboundEnvelope {
  id: string;
  from: string;
  recipients: string[];
  remoteAddress: string;
  helo: string;
  receivedAt: number;
  size: number;
}

/** Expired entries are looked for at most this often. */
const SWEEP_EVERY_MS = 3_600_000;
const TIME_WIDTH = 9;

function keyOf(receivedAt: number, id: string): string {
  return `n!${receivedAt.toString(36).padStart(TIME_WIDTH, '0')}!${id}`;
}

export class InboundStore {
  private lastSweep = 0;

  constructor(
    private readonly spool: Spool,
    private readonly retentionMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Writes the message and its envelope in one synced batch; resolves once they are on disk. */
  async store(envelope: InboundEnvelope, raw: Buffer): Promise<void> {
    const batch = new SpoolBatch();
    const key = keyOf(envelope.receivedAt, envelope.id);
    batch.put(key, encodeRecord(envelope));
    batch.put(`${key}!b`, raw);
    await this.spool.commit(batch);
    if (this.now() - this.lastSweep >= SWEEP_EVERY_MS) void this.sweep();
  }

  /** Removes what is older than the retention; a failure is left for the next sweep. */
  private async sweep(): Promise<void> {
    this.lastSweep = this.now();
    const before = keyOf(this.now() - this.retentionMs, '');
    const db: Level<string, Buffer> = this.spool.db;
    const batch = new SpoolBatch();
    for await (const key of db.keys({ gt: 'n!', lt: before })) batch.del(key);
    if (batch.operations.length > 0) await this.spool.commit(batch).catch(() => undefined);
  }
}
