/**
 * A batch: spool and status writes that must land together, in one synced
 * LevelDB batch, plus what to do once they are durable (emit events, wake the
 * scheduler). Built by the pipeline and the delivery side, committed by Spool.
 */
export type BatchOperation = { type: 'put'; key: string; value: Buffer } | { type: 'del'; key: string };

export class SpoolBatch {
  readonly operations: BatchOperation[] = [];
  private readonly committedCallbacks: (() => void)[] = [];

  put(key: string, value: Buffer): void {
    this.operations.push({ type: 'put', key, value });
  }

  del(key: string): void {
    this.operations.push({ type: 'del', key });
  }

  /** Runs `callback` once the batch is on disk; never before. */
  afterCommit(callback: () => void): void {
    this.committedCallbacks.push(callback);
  }

  /** Called by the spool after the synced write. */
  runCommitted(): void {
    for (const callback of this.committedCallbacks) callback();
  }
}
