import { describe, expect, it } from '@jest/globals';
import { BrokenCircuitError } from 'cockatiel';
import type { ResilienceSettings } from '../config/satellite-config.js';
import { breakerState, newBreaker } from './breaker-policy.js';

const settings: ResilienceSettings = {
  healthIntervalMs: 0,
  healthTimeoutMs: 1000,
  unhealthyAfter: 1,
  breakerConsecutiveFailures: 3,
  breakerFailureRate: 0.5,
  breakerWindowMs: 60_000,
  breakerMinCalls: 10,
  breakerHalfOpenAfterMs: 100,
  maxConcurrent: 1,
  maxQueue: 0,
};

class Counted extends Error {}
const fail = () => Promise.reject(new Counted('down'));
const ok = () => Promise.resolve('ok');
const run = (p: Promise<unknown>) => p.catch((e: unknown) => e);

describe('newBreaker: consecutive failures or a failure rate', () => {
  it('opens after N failures in a row and then refuses without running the call', async () => {
    const breaker = newBreaker(settings, (e) => e instanceof Counted);
    for (let i = 0; i < 3; i++) await run(breaker.execute(fail));
    expect(breakerState(breaker)).toBe('open');
    let ran = false;
    const err = await run(breaker.execute(() => ((ran = true), ok())));
    expect(err).toBeInstanceOf(BrokenCircuitError);
    expect(ran).toBe(false);
  });

  it('opens on the failure rate even when failures never come in a row', async () => {
    const breaker = newBreaker(settings, (e) => e instanceof Counted);
    for (let i = 0; i < 12 && breakerState(breaker) === 'closed'; i++) {
      await run(breaker.execute(i % 3 === 2 ? ok : fail)); // two failures, one success
    }
    expect(breakerState(breaker)).toBe('open');
  });

  it('does not count errors outside the predicate', async () => {
    const breaker = newBreaker(settings, (e) => e instanceof Counted);
    for (let i = 0; i < 10; i++) await run(breaker.execute(() => Promise.reject(new Error('4xx'))));
    expect(breakerState(breaker)).toBe('closed');
  });

  it('lets one probe through after the wait and closes when it succeeds', async () => {
    const breaker = newBreaker(settings, (e) => e instanceof Counted);
    for (let i = 0; i < 3; i++) await run(breaker.execute(fail));
    await new Promise((r) => setTimeout(r, settings.breakerHalfOpenAfterMs + 50));
    await expect(breaker.execute(ok)).resolves.toBe('ok');
    expect(breakerState(breaker)).toBe('closed');
  });
});
