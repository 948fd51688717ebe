import { describe, expect, it } from '@jest/globals';
import { canTransition, type ProcessState, toServerStatus } from './process-state.js';

const ALL: ProcessState[] = [
  'starting',
  'running',
  'dormant',
  'crashed',
  'restarting',
  'permanently_failed',
  'terminated',
];

describe('process states', () => {
  it('allows the lifecycle of the design and nothing out of terminated', () => {
    expect(canTransition('starting', 'running')).toBe(true);
    expect(canTransition('running', 'dormant')).toBe(true);
    expect(canTransition('dormant', 'starting')).toBe(true);
    expect(canTransition('running', 'crashed')).toBe(true);
    expect(canTransition('crashed', 'restarting')).toBe(true);
    expect(canTransition('crashed', 'permanently_failed')).toBe(true);
    expect(canTransition('permanently_failed', 'starting')).toBe(true);
    expect(ALL.filter((to) => canTransition('terminated', to))).toEqual([]);
  });

  it('forbids shortcuts (a dormant server cannot crash, a failed one cannot run without a start)', () => {
    expect(canTransition('dormant', 'crashed')).toBe(false);
    expect(canTransition('permanently_failed', 'running')).toBe(false);
    expect(canTransition('restarting', 'running')).toBe(false);
  });

  it('every state can be terminated and maps to a backend status', () => {
    for (const s of ALL.filter((x) => x !== 'terminated'))
      expect(canTransition(s, 'terminated')).toBe(true);
    expect(ALL.map(toServerStatus)).toEqual([
      'connecting',
      'online',
      'offline',
      'error',
      'restarting',
      'permanently_failed',
      'offline',
    ]);
  });
});
