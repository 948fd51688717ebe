import { describe, expect, it } from '@jest/globals';
import { RestartPolicy } from './restart-policy.js';

/** `random` pinned to 1: every delay is its ceiling (1 s, 4 s, 15 s). */
const policy = (random: () => number = () => 1) =>
  new RestartPolicy({
    restartBackoff: { baseMs: 1_000, factor: 4, maxMs: 15_000, minMs: 500 },
    restartJitter: random,
    crashWindowMs: 300_000,
    maxCrashesInWindow: 3,
  });

describe('RestartPolicy', () => {
  it('backs off under ceilings of 1 s, 4 s, 15 s, then gives up on the 4th crash within 5 minutes', () => {
    const p = policy();
    expect(p.recordCrash(0)).toEqual({ crashesInWindow: 1, restartInMs: 1000 });
    expect(p.recordCrash(10_000)).toEqual({ crashesInWindow: 2, restartInMs: 4000 });
    expect(p.recordCrash(20_000)).toEqual({ crashesInWindow: 3, restartInMs: 15000 });
    expect(p.recordCrash(40_000)).toEqual({ crashesInWindow: 4 });
  });

  it('jitters each delay between 0.5 s and its ceiling', () => {
    const low = policy(() => 0);
    expect([0, 1, 2].map((t) => low.recordCrash(t).restartInMs)).toEqual([500, 500, 500]);
    for (let k = 0; k < 50; k++) {
      const p = policy(Math.random);
      [1_000, 4_000, 15_000].forEach((ceiling, i) => {
        const d = p.recordCrash(i).restartInMs!;
        expect(d).toBeGreaterThanOrEqual(500);
        expect(d).toBeLessThanOrEqual(ceiling);
      });
    }
  });

  it('forgets crashes older than the window', () => {
    const p = policy();
    p.recordCrash(0);
    p.recordCrash(1000);
    p.recordCrash(2000);
    expect(p.recordCrash(301_500)).toEqual({ crashesInWindow: 2, restartInMs: 4000 });
    expect(p.crashesInWindow(700_000)).toBe(0);
  });

  it('reset clears the history (operator restart)', () => {
    const p = policy();
    p.recordCrash(0);
    p.reset();
    expect(p.recordCrash(1)).toEqual({ crashesInWindow: 1, restartInMs: 1000 });
  });
});
