import type { Counters } from './counters.js';

/**
 * Each API key's own limit of requests a minute, counted in `counters` (through Redis when
 * REDIS_URL is set, so every node counts the same minute). Answers 0 when allowed (and counts
 * it), else milliseconds until the minute ends.
 */
export class ApiKeyRateLimit {
  constructor(private readonly counters: Counters) {}

  async take(keyId: string, perMinute: number): Promise<number> {
    const key = `api-key:${keyId}`;
    const [current] = await this.counters.read([key]);
    if (current!.count >= perMinute) return Math.max(current!.resetInMs, 1);
    await this.counters.add([key], 60_000);
    return 0;
  }
}
