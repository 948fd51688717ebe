import { describe, expect, it } from '@jest/globals';
import { RestartPolicy } from './restart-policy.js';

const policy = () =>
  new RestartPolicy({
    restartBackoffMs: [1000, 5000, 15000],
    crashWindowMs: 300_000,
    maxCrashesInWindow: 3,
  });

describe('RestartPolicy', () => {
  it('backs off 1 s, 5 s, 15 s, then gives up on the 4th crash within 5 minutes', () => {
    const p = policy();
    expect(p.recordCrash(0)).toEqual({ crashesInWindow: 1, restartInMs: 1000 });
    expect(p.recordCrash(10_000)).toEqual({ crashesInWindow: 2, restartInMs: 5000 });
    expect(p.recordCrash(20_000)).toEqual({ crashesInWindow: 3, restartInMs: 15000 });
    expect(p.recordCrash(40_000)).toEqual({ crashesInWindow: 4 });
  });

  it('forgets crashes older than the window', () => {
    const p = policy();
    p.recordCrash(0);
    p.recordCrash(1000);
    p.recordCrash(2000);
    expect(p.recordCrash(301_500)).toEqual({ crashesInWindow: 2, restartInMs: 5000 });
    expect(p.crashesInWindow(700_000)).toBe(0);
  });

  it('reset clears the history (operator restart)', () => {
    const p = policy();
    p.recordCrash(0);
    p.reset();
    expect(p.recordCrash(1)).toEqual({ crashesInWindow: 1, restartInMs: 1000 });
  });
});
