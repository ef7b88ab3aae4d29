import type { Counters } from './counters.js';

const hour = 60 * 60 * 1000;

/**
 * Transcript mails: at most `limit` an hour per visitor and per recipient address (so nobody can
 * aim the server at someone's inbox from many visitors), counted in `counters` (shared through
 * Redis when there is one). Answers 0 when allowed (and counts it), else milliseconds to wait.
 */
export class TranscriptLimit {
  constructor(
    private readonly counters: Counters,
    private readonly limit: number,
  ) {}

  async take(visitorId: string, address: string): Promise<number> {
    const keys = [`transcripts:visitor:${visitorId}`, `transcripts:to:${address.toLowerCase()}`];
    const counts = await this.counters.read(keys);
    const full = counts.filter((c) => c.count >= this.limit);
    if (full.length > 0) return Math.max(...full.map((c) => c.resetInMs));
    await this.counters.add(keys, hour);
    return 0;
  }
}
