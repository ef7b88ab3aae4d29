/**
 * How many media jobs (image re-encodes, video probes and covers) run at once on this node, and
 * how many may wait for a turn. A job past the queue is refused at once rather than piling up
 * FFmpeg processes and their memory: the caller answers 503 with Retry-After.
 */
export class MediaBusyError extends Error {
  override name = 'MediaBusyError';
}

export class MediaSlots {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly concurrency: number,
    readonly queueLimit: number,
  ) {}

  /** Runs `job` when a slot is free; throws MediaBusyError when the queue is full. */
  async run<T>(job: () => Promise<T>): Promise<T> {
    if (this.running >= this.concurrency) {
      if (this.waiting.length >= this.queueLimit) {
        throw new MediaBusyError('Too many files are being processed; try again shortly.');
      }
      // The slot is handed over by the job that frees it: `running` never drops in between.
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return await job();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.running -= 1;
    }
  }

  /** Jobs running and waiting now (for tests and metrics). */
  get load(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }
}
