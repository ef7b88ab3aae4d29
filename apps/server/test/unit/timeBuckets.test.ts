import { describe, expect, it } from 'vitest';
import {
  addEncoded,
  bucketOf,
  decodeBuckets,
  denseHistogram,
  encodeBuckets,
  lastBucket,
  percentileOf,
  representativeOf,
  type Histogram,
} from '../../src/domain/reports/timeBuckets.js';

/** The report histograms' promise: any duration is answered within 5% (0.5 s under 1 s). */
describe('report time buckets', () => {
  it('answer every duration from 0 to 30 days within the stated bound', () => {
    let worst = 0;
    for (let ms = 0; ms <= 30 * 86_400_000; ms = Math.ceil(ms * 1.0007) + 1) {
      const answer = representativeOf(bucketOf(ms));
      const error = Math.abs(answer - ms);
      expect(error, `${ms} ms`).toBeLessThanOrEqual(Math.max(ms * 0.05, 500));
      if (ms >= 1000) worst = Math.max(worst, error / ms);
    }
    // The bound is sharp: the worst case is near √1.1 − 1.
    expect(worst).toBeGreaterThan(0.048);
    expect(bucketOf(30 * 86_400_000)).toBeLessThan(lastBucket);
    expect(bucketOf(10 ** 12)).toBe(lastBucket);
    expect(bucketOf(-5)).toBe(0);
  });

  it('put a bucket boundary in the upper bucket', () => {
    expect(bucketOf(999)).toBe(0);
    expect(bucketOf(1000)).toBe(1);
    expect(bucketOf(1099)).toBe(1);
    expect(bucketOf(1100)).toBe(2);
  });

  it('are stored as text and read back, counts added', () => {
    const histogram: Histogram = new Map([
      [40, 3],
      [2, 1],
      [157, 12],
      [9, 0],
    ]);
    expect(encodeBuckets(histogram)).toBe('2:1 40:3 157:12');
    expect(decodeBuckets('2:1 40:3 157:12')).toEqual([2, 1, 40, 3, 157, 12]);
    expect(decodeBuckets('')).toEqual([]);
    addEncoded(histogram, '2:4 41:1');
    expect(encodeBuckets(histogram)).toBe('2:5 40:3 41:1 157:12');
  });

  it('read nearest-rank percentiles', () => {
    const histogram = denseHistogram();
    expect(percentileOf(histogram, 0.5)).toBeNull();
    // 9 quick answers and one slow: the median is quick, p90 too, the maximum slow.
    histogram[bucketOf(2000)] = 9;
    histogram[bucketOf(600_000)] = 1;
    expect(percentileOf(histogram, 0.5)).toBe(representativeOf(bucketOf(2000)));
    expect(percentileOf(histogram, 0.9)).toBe(representativeOf(bucketOf(2000)));
    expect(percentileOf(histogram, 1)).toBe(representativeOf(bucketOf(600_000)));
  });
});
