/**
 * Messages just queued, kept in memory (record and body) for their first
 * delivery attempt, which usually follows within milliseconds. Reading them
 * back from LevelDB (a get for the record, getMany for the body, a stream over
 * it) cost a send about 10% of its event-loop time, for bytes this process
 * held a moment earlier. Only what was committed is added, so a hit is exactly
 * what is on disk; after a restart the cache is empty and everything is read
 * from the spool. Bounded in bytes; the oldest entries go first, so a queue of
 * deferred messages falls back to disk reads.
 */
import type { MessageRecord } from './records.js';

interface HotMessage {
  record: MessageRecord;
  body: Buffer;
}

export class HotMessages {
  private readonly entries = new Map<string, HotMessage>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** Call only once the message is durable. */
  add(record: MessageRecord, body: Buffer): void {
    if (body.length > this.maxBytes) return;
    this.delete(record.id);
    this.entries.set(record.id, { record, body });
    this.bytes += body.length;
    // Maps iterate in insertion order: the first entry is the oldest
    for (const [id] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(id);
    }
  }

  record(id: string): MessageRecord | undefined {
    return this.entries.get(id)?.record;
  }

  /** The body of exactly this record (same object), so a record read back from disk never pairs with a stale body. */
  body(record: MessageRecord): Buffer | undefined {
    const entry = this.entries.get(record.id);
    return entry?.record === record ? entry.body : undefined;
  }

  delete(id: string): void {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    this.bytes -= entry.body.length;
  }

  get size(): number {
    return this.entries.size;
  }

  get heldBytes(): number {
    return this.bytes;
  }
}
