/**
 * Summary statistics of repeated timings. The machine is shared, so a result is always reported
 * as median with min/max (and p95/p99 for latencies); the minimum is the least disturbed run.
 */

export interface Summary {
  /** Samples summarised. */
  n: number;
  median: number;
  min: number;
  max: number;
  mean: number;
  p95: number;
  p99: number;
}

/**
 * The q-quantile (0..1) of already sorted samples, nearest-rank: the smallest sample with at least
 * q of the samples at or below it. With few samples p95 is the maximum, never an interpolation
 * between runs that did not happen.
 */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new Error('quantile of no samples');
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile must be in [0, 1], got ${q}`);
  const rank = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[rank - 1];
}

/** Median: the middle sample, or the mean of the two middle ones. */
export function median(samples: readonly number[]): number {
  if (samples.length === 0) throw new Error('median of no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('summary of no samples');
  for (const x of samples) if (!Number.isFinite(x)) throw new Error(`summary of a non-finite sample (${x})`);
  const s = [...samples].sort((a, b) => a - b);
  return {
    n: s.length,
    median: median(s),
    min: s[0],
    max: s[s.length - 1],
    mean: s.reduce((a, b) => a + b, 0) / s.length,
    p95: quantileSorted(s, 0.95),
    p99: quantileSorted(s, 0.99),
  };
}

/**
 * A rate from a duration summary: `work` units per second at the median, best (min time) and
 * worst (max time) run. E.g. tokens/s from prefill times.
 */
export interface RateSummary {
  median: number;
  best: number;
  worst: number;
}

export function rateOf(work: number, ms: Summary): RateSummary {
  const rate = (t: number) => (t > 0 ? (work * 1000) / t : 0);
  return { median: rate(ms.median), best: rate(ms.min), worst: rate(ms.max) };
}
