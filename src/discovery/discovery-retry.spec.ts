import { describe, expect, it, jest } from '@jest/globals';
import { ManualClock } from '../../test/support/manual-clock.js';
import { DiscoveryRetry, discoveryRetryDelay } from './discovery-retry.js';

const options = { baseMs: 1_000, maxMs: 60_000 };

describe('discoveryRetryDelay', () => {
  it('doubles the ceiling from the base up to the cap, and never waits less than half the base', () => {
    const low = (n: number) => discoveryRetryDelay(n, options, () => 0);
    const high = (n: number) => discoveryRetryDelay(n, options, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(high)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect([1, 2, 7, 1_000].map(low)).toEqual([500, 500, 500, 500]);
    for (let n = 1; n < 12; n++) {
      const d = discoveryRetryDelay(n, options);
      expect(d).toBeGreaterThanOrEqual(low(n));
      expect(d).toBeLessThanOrEqual(high(n));
    }
  });
});

describe('DiscoveryRetry', () => {
  it('counts failures in a row and runs the retry after the backoff', () => {
    const clock = new ManualClock();
    const retries = new DiscoveryRetry(
      () => options,
      () => clock,
    );
    const retry = jest.fn();
    const first = retries.failed('s', 'refused', retry);
    expect(first).toMatchObject({ failures: 1, lastError: 'refused' });
    expect(Date.parse(first.nextRetryAt)).toBeGreaterThan(clock.now());
    clock.advance(1_000);
    expect(retry).toHaveBeenCalledTimes(1);

    expect(retries.failed('s', 'timeout', retry)).toMatchObject({
      failures: 2,
      lastError: 'timeout',
    });
    expect(retries.get('s')?.failures).toBe(2);
    clock.advance(2_000);
    expect(retry).toHaveBeenCalledTimes(2);
  });

  it('runs nothing once cleared, and forgets the count', () => {
    const clock = new ManualClock();
    const retries = new DiscoveryRetry(
      () => options,
      () => clock,
    );
    const retry = jest.fn();
    retries.failed('a', 'x', retry);
    retries.failed('b', 'x', retry);
    retries.clear('a');
    expect(retries.get('a')).toBeUndefined();
    expect(retries.size()).toBe(1);
    retries.clearAll();
    expect(retries.size()).toBe(0);
    expect(clock.pending()).toBe(0);
    clock.advance(120_000);
    expect(retry).not.toHaveBeenCalled();
    expect(retries.failed('a', 'x', retry).failures).toBe(1);
    retries.clearAll();
  });

  it('keeps one timer per server: a new failure replaces the pending retry', () => {
    const clock = new ManualClock();
    const retries = new DiscoveryRetry(
      () => options,
      () => clock,
    );
    const retry = jest.fn();
    retries.failed('s', 'x', retry);
    retries.failed('s', 'x', retry);
    expect(clock.pending()).toBe(1);
    clock.advance(120_000);
    expect(retry).toHaveBeenCalledTimes(1);
  });
});
