/**
 * Runs async work one at a time per key, so a read-modify-write on one key can
 * never interleave with another on the same key (within this process).
 */
export class KeyedSerializer {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const settled = result.catch(() => undefined);
    this.tails.set(key, settled);
    void settled.then(() => this.tails.get(key) === settled && this.tails.delete(key));
    return result;
  }
}
