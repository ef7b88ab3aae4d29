/**
 * Counts failed logins per key (an IP address, a username) in a fixed window. A key that reached
 * the limit is refused until its window ends. In memory, so per process: with several nodes an
 * attacker gets at most N times the limit.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; windowEnds: number }>();

  constructor(
    private readonly maxFailures: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the first of `keys` may try again, or 0 when none is limited. */
  retryAfterMs(keys: string[]): number {
    const now = this.now();
    let wait = 0;
    for (const key of keys) {
      const entry = this.failures.get(key);
      if (!entry) continue;
      if (entry.windowEnds <= now) {
        this.failures.delete(key);
      } else if (entry.count >= this.maxFailures) {
        wait = Math.max(wait, entry.windowEnds - now);
      }
    }
    return wait;
  }

  recordFailure(keys: string[]): void {
    const now = this.now();
    for (const key of keys) {
      const entry = this.failures.get(key);
      if (!entry || entry.windowEnds <= now) {
        this.failures.set(key, { count: 1, windowEnds: now + this.windowMs });
      } else {
        entry.count += 1;
      }
    }
    if (this.failures.size > 100_000) this.sweep(now);
  }

  clear(keys: string[]): void {
    for (const key of keys) this.failures.delete(key);
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.failures) {
      if (entry.windowEnds <= now) this.failures.delete(key);
    }
  }
}
