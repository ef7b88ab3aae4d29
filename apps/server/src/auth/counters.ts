import type { Redis } from 'ioredis';

/** A count per key in a fixed window that starts at the key's first count. */
export interface Counter {
  count: number;
  /** Milliseconds until the count goes back to zero (0 when it is zero). */
  resetInMs: number;
}

/**
 * Counters for throttles: in this process, or shared by every node through Redis (REDIS_URL), so
 * that N nodes do not grant N times a limit.
 */
export interface Counters {
  read(keys: string[]): Promise<Counter[]>;
  /** Adds `by` (one) to each key; a key's window starts with its first count. */
  add(keys: string[], windowMs: number, by?: number): Promise<void>;
  clear(keys: string[]): Promise<void>;
  /**
   * One step, atomic across nodes: counts one for `key` when it is below `limit`, answering 0;
   * else answers the milliseconds until its window ends, counting nothing.
   */
  take(key: string, limit: number, windowMs: number): Promise<number>;
}

export class MemoryCounters implements Counters {
  private readonly entries = new Map<string, { count: number; endsAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  read(keys: string[]): Promise<Counter[]> {
    const now = this.now();
    return Promise.resolve(
      keys.map((key) => {
        const entry = this.entries.get(key);
        if (!entry || entry.endsAt <= now) return { count: 0, resetInMs: 0 };
        return { count: entry.count, resetInMs: entry.endsAt - now };
      }),
    );
  }

  add(keys: string[], windowMs: number, by = 1): Promise<void> {
    const now = this.now();
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry || entry.endsAt <= now)
        this.entries.set(key, { count: by, endsAt: now + windowMs });
      else entry.count += by;
    }
    if (this.entries.size > 100_000) {
      for (const [key, entry] of this.entries) if (entry.endsAt <= now) this.entries.delete(key);
    }
    return Promise.resolve();
  }

  clear(keys: string[]): Promise<void> {
    for (const key of keys) this.entries.delete(key);
    return Promise.resolve();
  }

  take(key: string, limit: number, windowMs: number): Promise<number> {
    // Read and counted in one synchronous step: concurrent takes cannot both see room.
    const now = this.now();
    const entry = this.entries.get(key);
    if (entry && entry.endsAt > now && entry.count >= limit) {
      return Promise.resolve(entry.endsAt - now);
    }
    void this.add([key], windowMs);
    return Promise.resolve(0);
  }
}

/** INCR, and the window's expiry with the first count, in one step. */
const addScript = `local n = redis.call('INCRBY', KEYS[1], ARGV[2])
if n == tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return n`;

/** Counts one below the limit (answers 0), else answers the window's remaining milliseconds; a
 * full count without an expiry (none is ever left so) starts a new window. */
const takeScript = `local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then
  local ttl = redis.call('PTTL', KEYS[1])
  if ttl > 0 then return ttl end
  redis.call('SET', KEYS[1], 1, 'PX', ARGV[2])
  return 0
end
n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

export class RedisCounters implements Counters {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(key: string): string {
    return `${this.prefix}:count:${key}`;
  }

  async read(keys: string[]): Promise<Counter[]> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) pipeline.get(this.key(key)).pttl(this.key(key));
    const results = (await pipeline.exec()) ?? [];
    return keys.map((_, i) => {
      const count = Number(results[i * 2]?.[1] ?? 0) || 0;
      const ttl = Number(results[i * 2 + 1]?.[1] ?? 0);
      return count > 0 && ttl > 0 ? { count, resetInMs: ttl } : { count: 0, resetInMs: 0 };
    });
  }

  async add(keys: string[], windowMs: number, by = 1): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const key of keys) {
      pipeline.eval(addScript, 1, this.key(key), String(windowMs), String(by));
    }
    await pipeline.exec();
  }

  async clear(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((key) => this.key(key)));
  }

  async take(key: string, limit: number, windowMs: number): Promise<number> {
    return Number(
      await this.redis.eval(takeScript, 1, this.key(key), String(limit), String(windowMs)),
    );
  }
}

/**
 * The counters every throttle holds: in memory until Redis is connected, then through Redis, so
 * that the throttles built before the connection share their counts with the other nodes too.
 */
export class SharedCounters implements Counters {
  constructor(private inner: Counters) {}

  use(inner: Counters): void {
    this.inner = inner;
  }

  read(keys: string[]): Promise<Counter[]> {
    return this.inner.read(keys);
  }

  add(keys: string[], windowMs: number, by?: number): Promise<void> {
    return this.inner.add(keys, windowMs, by);
  }

  clear(keys: string[]): Promise<void> {
    return this.inner.clear(keys);
  }

  take(key: string, limit: number, windowMs: number): Promise<number> {
    return this.inner.take(key, limit, windowMs);
  }
}

/**
 * At most `limit` of something per client address a minute (0: no limit), counted in `counters`:
 * new visitor sessions, for one. Answers 0 when allowed (and counts it), else milliseconds to
 * wait.
 */
export class AddressLimit {
  constructor(
    private readonly counters: Counters,
    private readonly name: string,
    private readonly limit: number,
  ) {}

  async take(address: string): Promise<number> {
    if (this.limit === 0) return 0;
    // One round trip to Redis, and two nodes cannot both take the last place.
    return this.counters.take(`${this.name}:${address}`, this.limit, 60_000);
  }
}

/** What one uploader may send: files per 10 minutes and bytes per day (agents ten times more). */
export class UploadQuota {
  constructor(
    private readonly counters: Counters,
    private readonly filesPer10Minutes: number,
    private readonly bytesPerDay: number,
  ) {}

  /**
   * Counts one upload of `bytes` for `owner` when it fits, answering null; else what was exceeded
   * and milliseconds until it frees up. Zero limits are off.
   */
  async take(
    owner: { kind: 'visitor' | 'account'; id: string },
    bytes: number,
  ): Promise<{ exceeded: 'files' | 'bytes'; waitMs: number } | null> {
    const scale = owner.kind === 'account' ? 10 : 1;
    const files = `uploads:${owner.kind}:${owner.id}`;
    const volume = `upload-bytes:${owner.kind}:${owner.id}`;
    const [sent, sentBytes] = await this.counters.read([files, volume]);
    if (this.filesPer10Minutes > 0 && sent!.count >= this.filesPer10Minutes * scale) {
      return { exceeded: 'files', waitMs: sent!.resetInMs };
    }
    if (this.bytesPerDay > 0 && sentBytes!.count + bytes > this.bytesPerDay * scale) {
      return { exceeded: 'bytes', waitMs: sentBytes!.resetInMs || 24 * 3600 * 1000 };
    }
    await this.counters.add([files], 10 * 60 * 1000);
    await this.counters.add([volume], 24 * 3600 * 1000, bytes);
    return null;
  }
}
