import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { LatencyHistogram, MAX_INDEX } from './latency-histogram.js';

/** The exact nearest-rank quantile of a sample. */
function exact(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1];
}

const of = (values: number[]) => {
  const h = new LatencyHistogram();
  for (const v of values) h.record(v);
  return h;
};

describe('LatencyHistogram', () => {
  it('has no quantile without calls, and gives a single call back exactly', () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeUndefined();
    const h = of([42.5]);
    expect(h.quantile(0.5)).toBe(42.5);
    expect(h.quantile(0.95)).toBe(42.5);
  });

  it('puts zero, negative and non-finite durations in the zero bucket', () => {
    const h = of([0, -3, Number.NaN]);
    expect(h.count).toBe(3);
    expect(h.quantile(1)).toBe(0);
  });

  it('keeps p50 and p95 within 6 % of the exact value for any sample', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.02, max: 5_000_000, noNaN: true }), {
          minLength: 1,
          maxLength: 300,
        }),
        (values) => {
          const h = of(values);
          for (const q of [0.5, 0.95]) {
            const want = exact(values, q);
            const got = h.quantile(q)!;
            expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.06);
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('merges exactly: two halves merged answer like the whole, and survive JSON', () => {
    const values = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 997) * 1.7);
    const whole = of(values);
    const merged = of(values.slice(0, 400)).merge(
      LatencyHistogram.fromJson(
        JSON.parse(JSON.stringify(of(values.slice(400)).toJson())) as ReturnType<
          LatencyHistogram['toJson']
        >,
      ),
    );
    expect(merged.toJson()).toEqual(whole.toJson());
    expect(merged.count).toBe(1000);
    expect(merged.quantile(0.5)).toBe(whole.quantile(0.5));
    expect(merged.quantile(0.95)).toBe(whole.quantile(0.95));
  });

  it('stays bounded: a million distinct durations use at most MAX_INDEX + 1 buckets', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 1_000_000; i++) h.record(i * 0.37);
    expect(h.toJson().b.length).toBeLessThanOrEqual(MAX_INDEX + 1);
    expect(h.count).toBe(1_000_000);
  });

  it('ignores malformed stored buckets and refuses a quantile outside (0, 1]', () => {
    const h = LatencyHistogram.fromJson({
      b: [
        [5, 2],
        [-1, 3],
        [MAX_INDEX + 1, 1],
        [7, 0],
      ],
      min: 0.011,
      max: 0.02,
    });
    expect(h.count).toBe(2);
    expect(() => h.quantile(0)).toThrow(RangeError);
    expect(() => h.quantile(1.5)).toThrow(RangeError);
  });
});
