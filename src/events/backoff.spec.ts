import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { backoffCeiling, backoffDelay, type BackoffPolicy } from './backoff.js';

const policy: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000, minMs: 200 };

describe('backoffDelay', () => {
  it('has ceilings base · 2^(n-1) up to the cap, and reaches them with random() = 1', () => {
    const high = [1, 2, 3, 4, 5, 6, 7, 8, 1_000].map((n) => backoffDelay(n, policy, () => 1));
    expect(high).toEqual([1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000]);
  });

  it('waits the floor with random() = 0, and the floor never exceeds the ceiling', () => {
    expect([1, 5, 1_000].map((n) => backoffDelay(n, policy, () => 0))).toEqual([200, 200, 200]);
    expect(backoffDelay(1, { baseMs: 100, maxMs: 100, minMs: 500 }, () => 0)).toBe(100);
  });

  it('stays within [min(minMs, ceiling), ceiling ≤ maxMs] for any policy, attempt and random', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 100_000 }),
        fc.integer({ min: 0, max: 10_000_000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.double({ min: 1, max: 10, noNaN: true }),
        fc.integer({ min: -5, max: 10_000 }),
        fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
        (baseMs, maxMs, minMs, factor, n, r) => {
          const p = { baseMs, maxMs, minMs, factor };
          const ceiling = backoffCeiling(n, p);
          const d = backoffDelay(n, p, () => r);
          expect(ceiling).toBeLessThanOrEqual(maxMs);
          expect(d).toBeLessThanOrEqual(Math.round(ceiling));
          expect(d).toBeGreaterThanOrEqual(Math.round(Math.min(minMs, ceiling)));
          expect(Number.isInteger(d)).toBe(true);
        },
      ),
    );
  });

  it('grows: the ceiling never shrinks from one attempt to the next', () => {
    for (let n = 1; n < 100; n++)
      expect(backoffCeiling(n + 1, policy)).toBeGreaterThanOrEqual(backoffCeiling(n, policy));
  });

  it('spreads: many draws of one attempt are not all the same', () => {
    const draws = new Set(Array.from({ length: 50 }, () => backoffDelay(6, policy)));
    expect(draws.size).toBeGreaterThan(10);
  });

  it('refuses a policy that makes no sense, with a clear error', () => {
    expect(() => backoffDelay(1, { baseMs: -1, maxMs: 10 })).toThrow(
      /baseMs must be a finite number >= 0/,
    );
    expect(() => backoffDelay(1, { baseMs: 1, maxMs: Number.NaN })).toThrow(/maxMs/);
    expect(() => backoffDelay(1, { baseMs: 1, maxMs: 10, factor: 0.5 })).toThrow(
      /factor must be >= 1/,
    );
  });
});
