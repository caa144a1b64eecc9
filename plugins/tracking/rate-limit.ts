/**
 * A fixed-window request counter per client address, in this process's memory:
 * enough to keep one address from hammering the tracking endpoints (which need
 * no key) without a store round trip on every image fetch. Windows are forgotten
 * as they end, so the map never grows past the addresses of one window.
 */
export class RateLimiter {
  private readonly windows = new Map<string, { count: number; endsAt: number }>();
  private sweptAt = 0;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a request from `ip`; false once the window's limit is reached. */
  allow(ip: string): boolean {
    const now = this.now();
    if (now - this.sweptAt >= this.windowMs) {
      for (const [key, window] of this.windows) if (window.endsAt <= now) this.windows.delete(key);
      this.sweptAt = now;
    }
    const window = this.windows.get(ip);
    if (!window || window.endsAt <= now) {
      this.windows.set(ip, { count: 1, endsAt: now + this.windowMs });
      return true;
    }
    window.count++;
    return window.count <= this.limit;
  }
}
