import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { backoffDelay, DiscoveryRetry } from './discovery-retry.js';

const options = { baseMs: 1_000, maxMs: 60_000 };

describe('backoffDelay', () => {
  it('doubles from the base up to the cap, jittered within [d/2, d]', () => {
    const low = (n: number) => backoffDelay(n, options, () => 0);
    const high = (n: number) => backoffDelay(n, options, () => 1);
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(high)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
    expect([1, 2, 7, 1_000].map(low)).toEqual([500, 1_000, 30_000, 30_000]);
    for (let n = 1; n < 12; n++) {
      const d = backoffDelay(n, options);
      expect(d).toBeGreaterThanOrEqual(low(n));
      expect(d).toBeLessThanOrEqual(high(n));
    }
  });
});

describe('DiscoveryRetry', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  it('counts failures in a row and runs the retry after the backoff', () => {
    const retries = new DiscoveryRetry(() => options);
    const retry = jest.fn();
    const first = retries.failed('s', 'refused', retry);
    expect(first).toMatchObject({ failures: 1, lastError: 'refused' });
    expect(Date.parse(first.nextRetryAt)).toBeGreaterThan(Date.now());
    jest.advanceTimersByTime(1_000);
    expect(retry).toHaveBeenCalledTimes(1);

    expect(retries.failed('s', 'timeout', retry)).toMatchObject({
      failures: 2,
      lastError: 'timeout',
    });
    expect(retries.get('s')?.failures).toBe(2);
    jest.advanceTimersByTime(2_000);
    expect(retry).toHaveBeenCalledTimes(2);
  });

  it('runs nothing once cleared, and forgets the count', () => {
    const retries = new DiscoveryRetry(() => options);
    const retry = jest.fn();
    retries.failed('a', 'x', retry);
    retries.failed('b', 'x', retry);
    retries.clear('a');
    expect(retries.get('a')).toBeUndefined();
    expect(retries.size()).toBe(1);
    retries.clearAll();
    expect(retries.size()).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
    jest.advanceTimersByTime(120_000);
    expect(retry).not.toHaveBeenCalled();
    expect(retries.failed('a', 'x', retry).failures).toBe(1);
    retries.clearAll();
  });

  it('keeps one timer per server: a new failure replaces the pending retry', () => {
    const retries = new DiscoveryRetry(() => options);
    const retry = jest.fn();
    retries.failed('s', 'x', retry);
    retries.failed('s', 'x', retry);
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(120_000);
    expect(retry).toHaveBeenCalledTimes(1);
  });
});
