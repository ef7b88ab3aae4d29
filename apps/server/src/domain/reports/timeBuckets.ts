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

const representatives = Array.from({ length: lastBucket + 1 }, (_, bucket) =>
  bucket === 0 ? firstBucketMs / 2 : Math.round(lowerBoundOf(bucket) * Math.sqrt(bucketRatio)),
);

/** The value a bucket stands for: the geometric middle of its bounds (0.5 s for bucket 0). */
export function representativeOf(bucket: number): number {
  return representatives[Math.min(Math.max(0, bucket), lastBucket)]!;
}

/** Counts per bucket (sparse), as a change adds them. */
export type Histogram = Map<number, number>;

/** A histogram as stored: `bucket:count` pairs by bucket, space separated ('' when empty). */
export function encodeBuckets(histogram: Histogram): string {
  return [...histogram.entries()]
    .filter(([, count]) => count !== 0)
    .sort(([a], [b]) => a - b)
    .map(([bucket, count]) => `${bucket}:${count}`)
    .join(' ');
}

/** A stored histogram read once: bucket, count, bucket, count… (reports read thousands). */
export function decodeBuckets(text: string): number[] {
  const pairs: number[] = [];
  let value = 0;
  let negative = false;
  for (let i = 0; i <= text.length; i++) {
    const code = i < text.length ? text.charCodeAt(i) : 32;
    if (code >= 48 && code <= 57) {
      value = value * 10 + (code - 48);
    } else if (code === 45) {
      negative = true;
    } else if (code === 58 || code === 32) {
      if (i > 0) pairs.push(negative ? -value : value);
      value = 0;
      negative = false;
    }
  }
  return pairs;
}

/** Adds a stored histogram's counts into `into`. */
export function addEncoded(into: Histogram, text: string): void {
  const pairs = decodeBuckets(text);
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    into.set(pairs[i]!, (into.get(pairs[i]!) ?? 0) + pairs[i + 1]!);
  }
}

/** A histogram to add many into: one count per bucket. */
export const denseHistogram = () => new Float64Array(lastBucket + 1);

/**
 * The `p`-th percentile (0 < p ≤ 1) by nearest rank: the value at rank ⌈p·n⌉ of the sorted
 * times, answered as its bucket's middle. Null when empty.
 */
export function percentileOf(histogram: Float64Array, p: number): number | null {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket]!;
    if (seen >= rank) return representativeOf(bucket);
  }
  return null;
}

/** The same from one stored histogram's pairs (bucket, count, …, by bucket). */
export function percentileOfPairs(pairs: number[], p: number): number | null {
  let total = 0;
  for (let i = 1; i < pairs.length; i += 2) total += pairs[i]!;
  if (total <= 0) return null;
  const rank = Math.max(1, Math.ceil(p * total));
  let seen = 0;
  for (let i = 0; i + 1 < pairs.length; i += 2) {
    seen += pairs[i + 1]!;
    if (seen >= rank) return representativeOf(pairs[i]!);
  }
  return null;
}
