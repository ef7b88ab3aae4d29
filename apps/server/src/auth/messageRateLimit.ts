/**
 * A token bucket per key (a visitor id): `burst` messages at once, then `perMinute` a minute.
 * In memory, so per process: behind sticky sessions a visitor's socket stays on one node, and with
 * N nodes a visitor spreading REST sends over all of them gets at most N times the limit.
 */
export class MessageRateLimit {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private readonly perMs: number;

  constructor(
    private readonly burst: number,
    perMinute: number,
    private readonly now: () => number = Date.now,
  ) {
    this.perMs = perMinute / 60_000;
  }

  /** Takes one message from `key`'s allowance: 0 when allowed, else milliseconds to wait. */
  take(key: string): number {
    if (this.perMs === 0) return 0;
    const now = this.now();
    const bucket = this.buckets.get(key);
    const tokens = bucket
      ? Math.min(this.burst, bucket.tokens + (now - bucket.at) * this.perMs)
      : this.burst;
    if (tokens < 1) {
      if (bucket) Object.assign(bucket, { tokens, at: now });
      return Math.ceil((1 - tokens) / this.perMs);
    }
    this.buckets.set(key, { tokens: tokens - 1, at: now });
    if (this.buckets.size > 100_000) this.sweep(now);
    return 0;
  }

  /** Forgets buckets that have refilled: they would answer the same as a new one. */
  private sweep(now: number): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.tokens + (now - bucket.at) * this.perMs >= this.burst) this.buckets.delete(key);
    }
  }
}
