import { describe, expect, it } from '@jest/globals';
import type { ProcEntry } from './proc-table.js';
import { treeOf } from './resource-sampler.js';

const p = (pid: number, ppid: number, pgid: number, state = 'S'): ProcEntry => ({
  pid,
  ppid,
  pgid,
  state,
  startTime: 0,
  cpuTicks: 0,
});

describe('treeOf', () => {
  it("takes the leader's descendants (setsid ones too) and its process group, without zombies or strangers", () => {
    const entries = [
      p(1, 0, 1), // init
      p(100, 1, 100), // the server (leader of its group)
      p(101, 100, 100), // its child
      p(102, 101, 102), // a grandchild that called setsid
      p(103, 1, 100), // reparented to init, still in the group
      p(104, 100, 100, 'Z'), // a zombie
      p(200, 1, 200), // another server
    ];
    expect(
      treeOf(100, entries)
        .map((e) => e.pid)
        .sort((a, b) => a - b),
    ).toEqual([100, 101, 102, 103]);
    expect(treeOf(999, entries)).toEqual([]);
  });
});
