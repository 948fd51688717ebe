import { describe, expect, it } from '@jest/globals';
import type { BackendCommand, CommandPriority } from './backend-wire.schema.js';
import { delayAfterFailure, delayAfterSuccess } from './poll-interval.policy.js';

const cmd = (priority: CommandPriority): BackendCommand => ({
  id: priority,
  command_type: 'x',
  priority,
  payload: {},
});

describe('poll interval policy', () => {
  it('uses next_poll_interval (seconds) when given, else the polling mode, else 30 s', () => {
    expect(
      delayAfterSuccess({ commands: [], next_poll_interval: 45, polling_mode: 'slow' }, 10),
    ).toBe(45_000);
    expect(delayAfterSuccess({ commands: [], polling_mode: 'slow' }, 10)).toBe(60_000);
    expect(delayAfterSuccess({ commands: [], polling_mode: 'immediate' }, 10)).toBe(2_000);
    expect(delayAfterSuccess({ commands: [] }, 10)).toBe(30_000);
  });

  it('shortens the wait for the highest priority just received, and for a full page', () => {
    expect(
      delayAfterSuccess({ commands: [cmd('low'), cmd('high')], next_poll_interval: 60 }, 10),
    ).toBe(10_000);
    expect(
      delayAfterSuccess(
        { commands: [cmd('normal'), cmd('immediate')], next_poll_interval: 60 },
        10,
      ),
    ).toBe(2_000);
    expect(delayAfterSuccess({ commands: [cmd('low')], next_poll_interval: 5 }, 10)).toBe(5_000);
    expect(
      delayAfterSuccess({ commands: [cmd('low'), cmd('low')], next_poll_interval: 60 }, 2),
    ).toBe(2_000);
  });

  it('never busy-loops nor sleeps past 5 minutes, whatever the backend says', () => {
    expect(delayAfterSuccess({ commands: [], next_poll_interval: 0 }, 10)).toBe(1_000);
    expect(delayAfterSuccess({ commands: [], next_poll_interval: -3 }, 10)).toBe(1_000);
    expect(delayAfterSuccess({ commands: [], next_poll_interval: 3600 }, 10)).toBe(300_000);
  });

  it('backs off with jitter under ceilings of 5 s, 10 s, 20 s … 5 minutes, never below 2.5 s', () => {
    const ceilings = [5, 10, 20, 40, 80, 160, 300, 300, 300].map((s) => s * 1000);
    const ns = [1, 2, 3, 4, 5, 6, 7, 8, 100];
    expect(ns.map((n) => delayAfterFailure(n, undefined, () => 1))).toEqual(ceilings);
    expect(ns.map((n) => delayAfterFailure(n, undefined, () => 0))).toEqual(ns.map(() => 2_500));
    ns.forEach((n, i) => {
      for (let k = 0; k < 50; k++) {
        const d = delayAfterFailure(n);
        expect(d).toBeGreaterThanOrEqual(2_500);
        expect(d).toBeLessThanOrEqual(ceilings[i]);
      }
    });
  });

  it('honours a longer Retry-After, up to 5 minutes', () => {
    expect(delayAfterFailure(1, 42_000, () => 1)).toBe(42_000);
    expect(delayAfterFailure(6, 42_000, () => 1)).toBe(160_000);
    expect(delayAfterFailure(6, 42_000, () => 0)).toBe(42_000);
    expect(delayAfterFailure(1, 3_600_000)).toBe(300_000);
  });
});
