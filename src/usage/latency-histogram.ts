/** Buckets per power of ten: each spans a ratio of 10^(1/20) ≈ 1.122 (docs/usage.md "Latency"). */
export const BUCKETS_PER_DECADE = 20;
/** The lower edge of the first bucket, in milliseconds; anything at or below it is in bucket 0. */
export const MIN_MS = 0.01;
/** Last bucket index: 9 decades above MIN_MS (10^7 ms, about 2.8 hours); longer calls land in it. */
export const MAX_INDEX = 9 * BUCKETS_PER_DECADE;

/** A histogram as stored: the non-empty buckets as `[index, count]` pairs, and its extremes. */
export interface HistogramJson {
  readonly b: ReadonlyArray<readonly [number, number]>;
  readonly min: number;
  readonly max: number;
}

/**
 * Call latencies in fixed log-spaced buckets: at most MAX_INDEX + 1 counters whatever the number
 * of calls, merged by adding counts (so hourly rows add up to any period exactly), and a quantile
 * within about 6 % of the true value (the geometric middle of a bucket, kept within the observed
 * min and max). Chosen over HDR histograms and t-digests: no dependency, exact merges, and a
 * small sparse form to store (docs/usage.md "Latency").
 */
export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;
  private lo = Infinity;
  private hi = -Infinity;

  static indexOf(ms: number): number {
    if (!(ms > MIN_MS)) return 0;
    const i = 1 + Math.floor(Math.log10(ms / MIN_MS) * BUCKETS_PER_DECADE);
    return Math.min(i, MAX_INDEX);
  }

  /** The value a bucket stands for: the geometric middle of its edges (0 for bucket 0). */
  static valueOf(index: number): number {
    if (index <= 0) return 0;
    return MIN_MS * 10 ** ((index - 0.5) / BUCKETS_PER_DECADE);
  }

  static fromJson(json: HistogramJson): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [index, count] of json.b) {
      if (!Number.isInteger(index) || index < 0 || index > MAX_INDEX || !(count > 0)) continue;
      h.counts.set(index, (h.counts.get(index) ?? 0) + count);
      h.n += count;
    }
    if (h.n > 0) {
      h.lo = json.min;
      h.hi = json.max;
    }
    return h;
  }

  get count(): number {
    return this.n;
  }

  record(ms: number): void {
    const value = Number.isFinite(ms) && ms > 0 ? ms : 0;
    const index = LatencyHistogram.indexOf(value);
    this.counts.set(index, (this.counts.get(index) ?? 0) + 1);
    this.n++;
    if (value < this.lo) this.lo = value;
    if (value > this.hi) this.hi = value;
  }

  /** Adds another histogram's counts into this one. */
  merge(other: LatencyHistogram): this {
    for (const [index, count] of other.counts)
      this.counts.set(index, (this.counts.get(index) ?? 0) + count);
    this.n += other.n;
    if (other.lo < this.lo) this.lo = other.lo;
    if (other.hi > this.hi) this.hi = other.hi;
    return this;
  }

  /**
   * The q-quantile (0 < q <= 1) by nearest rank: the value of the bucket holding the
   * ceil(q·n)-th smallest call. Undefined without calls.
   */
  quantile(q: number): number | undefined {
    if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${q}`);
    if (this.n === 0) return undefined;
    const rank = Math.max(1, Math.ceil(q * this.n));
    // The extremes are kept exactly.
    if (rank === this.n) return this.hi;
    if (rank === 1) return this.lo;
    let seen = 0;
    for (const index of [...this.counts.keys()].sort((a, b) => a - b)) {
      seen += this.counts.get(index)!;
      if (seen >= rank) {
        const v = LatencyHistogram.valueOf(index);
        return Math.min(this.hi, Math.max(this.lo, v));
      }
    }
    return this.hi;
  }

  toJson(): HistogramJson {
    return {
      b: [...this.counts].sort((a, b) => a[0] - b[0]),
      min: this.n > 0 ? this.lo : 0,
      max: this.n > 0 ? this.hi : 0,
    };
  }
}
