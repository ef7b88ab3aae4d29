import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryCounters, RedisCounters, type Counters } from '../../src/auth/counters.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const redis = new Redis(redisUrl, { lazyConnect: true });
const prefix = `test-counters-${randomBytes(4).toString('hex')}`;
afterAll(async () => {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length > 0) await redis.del(...keys);
  redis.disconnect();
});

/** The login throttle's counters behave the same in memory and in Redis (shared by nodes). */
describe.each([
  ['memory', () => new MemoryCounters() as Counters],
  ['Redis', () => new RedisCounters(redis, prefix) as Counters],
])('%s counters', (_name, make) => {
  it('count per key in a window, and clear one key without the others', async () => {
    const counters = make();
    await counters.add(['a', 'b'], 60_000);
    await counters.add(['a'], 60_000);
    const [a, b, none] = await counters.read(['a', 'b', 'none']);
    expect([a!.count, b!.count, none!.count]).toEqual([2, 1, 0]);
    expect(a!.resetInMs).toBeGreaterThan(59_000);
    expect(a!.resetInMs).toBeLessThanOrEqual(60_000);
    expect(none!.resetInMs).toBe(0);
    await counters.clear(['a']);
    expect((await counters.read(['a', 'b'])).map((c) => c.count)).toEqual([0, 1]);
  });

  it('start the window with the first count: later counts do not extend it, and it ends', async () => {
    const counters = make();
    await counters.add(['short'], 30);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await counters.read(['short']))[0]).toEqual({ count: 0, resetInMs: 0 });
    await counters.add(['short'], 60_000);
    await counters.add(['short'], 1);
    expect((await counters.read(['short']))[0]!.count).toBe(2);
  });

  it('take counts up to the limit, then answers the wait and counts nothing, until the window ends', async () => {
    const counters = make();
    expect(await counters.take('take', 2, 60_000)).toBe(0);
    expect(await counters.take('take', 2, 60_000)).toBe(0);
    const wait = await counters.take('take', 2, 60_000);
    expect(wait).toBeGreaterThan(59_000);
    expect(wait).toBeLessThanOrEqual(60_000);
    expect((await counters.read(['take']))[0]!.count).toBe(2);
    expect(await counters.take('take-short', 1, 30)).toBe(0);
    expect(await counters.take('take-short', 1, 30)).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(await counters.take('take-short', 1, 30)).toBe(0);
  });

  it('take gives the last place once among concurrent callers', async () => {
    const counters = make();
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => counters.take('crowd', 3, 60_000)),
    );
    expect(answers.filter((wait) => wait === 0)).toHaveLength(3);
  });
});

describe('two nodes', () => {
  it('see one count through Redis', async () => {
    const a = new RedisCounters(redis, `${prefix}-shared`);
    const b = new RedisCounters(redis, `${prefix}-shared`);
    await a.add(['login:ip:203.0.113.9'], 60_000);
    await b.add(['login:ip:203.0.113.9'], 60_000);
    expect((await a.read(['login:ip:203.0.113.9']))[0]!.count).toBe(2);
  });

  it('never both take the last place', async () => {
    const a = new RedisCounters(redis, `${prefix}-race`);
    const b = new RedisCounters(redis, `${prefix}-race`);
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).take('last', 5, 60_000)),
    );
    expect(answers.filter((wait) => wait === 0)).toHaveLength(5);
    expect((await a.read(['last']))[0]!.count).toBe(5);
  });
});
