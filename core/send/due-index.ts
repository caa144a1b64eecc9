/**
 * The in-memory index of recipients waiting for delivery, grouped by
 * destination domain and ordered by next-attempt time. It is rebuilt from the
 * spool at start (RecipientRecord holds nextAttemptAt) and kept in step with
 * every transition, so finding due work is a heap peek, never a queue scan.
 */
import type { RecipientRecord } from '../spool/records.js';

/** A binary min-heap; small and specific, since no maintained package fits this exact need cleanly. */
class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly before: (a: T, b: T) => boolean) {}
  get size(): number {
    return this.items.length;
  }
  peek(): T | undefined {
    return this.items[0];
  }
  push(item: T): void {
    const items = this.items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!this.before(items[index]!, items[parent]!)) break;
      [items[index], items[parent]] = [items[parent]!, items[index]!];
      index = parent;
    }
  }
  pop(): T | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last !== undefined) {
      items[0] = last;
      let index = 0;
      for (;;) {
        const left = index * 2 + 1;
        const right = left + 1;
        let smallest = index;
        if (left < items.length && this.before(items[left]!, items[smallest]!)) smallest = left;
        if (right < items.length && this.before(items[right]!, items[smallest]!)) smallest = right;
        if (smallest === index) break;
        [items[index], items[smallest]] = [items[smallest]!, items[index]!];
        index = smallest;
      }
    }
    return top;
  }
}

const earlier = (a: RecipientRecord, b: RecipientRecord): boolean =>
  a.nextAttemptAt < b.nextAttemptAt || (a.nextAttemptAt === b.nextAttemptAt && (a.messageId < b.messageId || (a.messageId === b.messageId && a.index < b.index)));

export class DueIndex {
  private readonly byDomain = new Map<string, MinHeap<RecipientRecord>>();
  private count = 0;
  /** Kept in step with add/take so metrics never scan the heaps. */
  private readonly countsByState: Record<RecipientRecord['state'], number> = { queued: 0, deferred: 0 };

  get size(): number {
    return this.count;
  }

  /** Waiting recipients per state (never tried yet, or deferred after an attempt). */
  countByState(): Record<RecipientRecord['state'], number> {
    return { ...this.countsByState };
  }

  add(recipient: RecipientRecord): void {
    let heap = this.byDomain.get(recipient.domain);
    if (!heap) {
      heap = new MinHeap(earlier);
      this.byDomain.set(recipient.domain, heap);
    }
    heap.push(recipient);
    this.count++;
    this.countsByState[recipient.state]++;
  }

  /** Earliest next-attempt time of each domain with waiting recipients. */
  *domainsByEarliest(): Generator<[string, number]> {
    for (const [domain, heap] of this.byDomain) yield [domain, heap.peek()!.nextAttemptAt];
  }

  /** Earliest next-attempt time later than `now` over all domains, or undefined. */
  earliestAfter(now: number): number | undefined {
    let earliest: number | undefined;
    for (const [, at] of this.domainsByEarliest()) if (at > now && (earliest === undefined || at < earliest)) earliest = at;
    return earliest;
  }

  /**
   * Takes the due recipients of `domain` that share the earliest one's message,
   * up to `limit`: one SMTP transaction's worth.
   */
  takeDueGroup(domain: string, now: number, limit: number): RecipientRecord[] {
    const heap = this.byDomain.get(domain);
    const first = heap?.peek();
    if (!heap || !first || first.nextAttemptAt > now) return [];
    const group: RecipientRecord[] = [];
    while (group.length < limit) {
      const next = heap.peek();
      if (!next || next.nextAttemptAt > now || next.messageId !== first.messageId) break;
      const taken = heap.pop()!;
      this.countsByState[taken.state]--;
      group.push(taken);
    }
    this.count -= group.length;
    if (heap.size === 0) this.byDomain.delete(domain);
    return group;
  }
}
