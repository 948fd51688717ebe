import { describe, expect, it } from '@jest/globals';
import { parseStat } from './proc-table.js';

describe('parseStat', () => {
  it('reads pid, ppid, pgid, state, start time and CPU ticks even when comm holds spaces and parentheses', () => {
    const fields = Array.from({ length: 20 }, (_, i) => String(i + 100));
    fields[0] = 'S';
    fields[1] = '7';
    fields[2] = '42';
    fields[11] = '30'; // utime
    fields[12] = '12'; // stime
    fields[19] = '987654';
    expect(parseStat(`1234 (evil ) (name) ${fields.join(' ')}`)).toEqual({
      pid: 1234,
      ppid: 7,
      pgid: 42,
      state: 'S',
      startTime: 987654,
      cpuTicks: 42,
    });
  });

  it('rejects garbage', () => {
    expect(parseStat('nonsense')).toBeUndefined();
  });
});
