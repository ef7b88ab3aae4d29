/**
 * Durations (first response, resolution) are counted in fixed logarithmic buckets, so a median
 * or p90 over any days, agents and channels is a sum of counts, never a re-read of every
 * conversation. Bucket 0 holds [0, 1 s); bucket b ≥ 1 holds [1 s·r^(b−1), 1 s·r^b) with
 * r = 1.1; the last bucket also holds everything longer (about 30 days and up).
 *
 * A percentile is answered as the geometric middle of the bucket its rank falls in:
 * within √1.1 − 1 ≈ 4.9% of the true value (nearest-rank), or within 0.5 s under one second.
 */
export const bucketRatio = 1.1;
const firstBucketMs = 1000;
const logRatio = Math.log(bucketRatio);
/** 1 s·1.1^156 ≈ 2.9 · 10⁹ ms ≈ 34 days. */
export const lastBucket = 157;

export function bucketOf(ms: number): number {
  if (!(ms >= firstBucketMs)) return 0;
  const b = Math.floor(Math.log(ms / firstBucketMs) / logRatio) + 1;
  // Floating point may put an exact boundary one bucket low; the bounds decide.
  const adjusted = ms >= lowerBoundOf(b + 1) ? b + 1 : ms < lowerBoundOf(b) ? b - 1 : b;
  return Math.min(adjusted, lastBucket);
}

function lowerBoundOf(bucket: number): number {
  return bucket <= 0 ? 0 : firstBucketMs * bucketRatio ** (bucket - 1);
}

/** The value a bucket stands for: the geometric middle of its bounds (0.5 s for bucket 0). */
export function representativeOf(bucket: number): number {
  if (bucket <= 0) return firstBucketMs / 2;
  return Math.round(lowerBoundOf(bucket) * Math.sqrt(bucketRatio));
}

/** Counts per bucket, added up. */
export type Histogram = Map<number, number>;

export function addInto(into: Histogram, bucket: number, count: number): void {
  into.set(bucket, (into.get(bucket) ?? 0) + count);
}

/**
 * The `p`-th percentile (0 < p ≤ 1) by nearest rank: the value at rank ⌈p·n⌉ of the sorted
 * times, answered as its bucket's middle. Null when empty.
 */
export function percentileOf(histogram: Histogram, p: number): number | null {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (const bucket of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(bucket)!;
    if (seen >= rank) return representativeOf(bucket);
  }
  return null;
}
