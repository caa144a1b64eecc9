// Shared bookkeeping for the test SMTP servers (mx-server.ts, lenient-mx.ts):
// an append-only list of received messages that tests can await without
// polling or sleeping.

export class MessageLog<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<{ wanted: number; resolve: () => void; reject: (error: Error) => void }>();
  private closed = false;

  constructor(private readonly serverName: string) {}

  push(item: T): void {
    this.items.push(item);
    for (const waiter of this.waiters) {
      if (this.items.length >= waiter.wanted) waiter.resolve();
    }
  }

  /**
   * Resolves with a snapshot of every message received so far once there are
   * at least `count`; returning all of them (not just `count`) lets a test
   * notice unexpected extra deliveries.
   */
  waitFor(count: number, timeoutMs = 5000): Promise<T[]> {
    if (this.items.length >= count) return Promise.resolve(this.items.slice());
    if (this.closed) return Promise.reject(new Error(`${this.serverName} is closed; it has ${this.items.length} of ${count} expected message(s)`));

    return new Promise<T[]>((resolve, reject) => {
      const waiter = {
        wanted: count,
        resolve: () => {
          finish();
          resolve(this.items.slice());
        },
        reject: (error: Error) => {
          finish();
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        waiter.reject(
          new Error(`${this.serverName}: timed out after ${timeoutMs} ms waiting for ${count} message(s); received ${this.items.length}`),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      this.waiters.add(waiter);
    });
  }

  /** Fails pending waits at once, so a test does not sit out its timeout after the server is gone. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters) {
      waiter.reject(new Error(`${this.serverName} closed with ${this.items.length} of ${waiter.wanted} expected message(s)`));
    }
  }
}
