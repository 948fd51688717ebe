import { Injectable } from '@nestjs/common';
import { CLOCK_TICKS_PER_SECOND, type ProcEntry, ProcTable } from './proc-table.js';
import { Clock } from '../events/clock.js';
import type { CgroupHandle } from './sandbox/cgroup-handle.js';

/** What one server's whole process tree uses at one moment. */
export interface TreeUsage {
  readonly memoryBytes: number;
  /** CPU time of the tree so far (a rate needs two samples: process-health.ts). */
  readonly cpuSeconds: number;
  readonly processes: number;
  /** `cgroup`: the server's own cgroup v2; `proc`: the sum over its processes in /proc. */
  readonly source: 'cgroup' | 'proc';
}

/** The process table is read at most this often, however many servers are sampled. */
const TABLE_TTL_MS = 1000;

/**
 * CPU and memory of a server's process tree: its own cgroup v2 where it has one (`memory.current`,
 * `cpu.stat`), otherwise the sum over /proc of the leader's descendants and process group (RSS:
 * pages shared between them count once per process).
 */
@Injectable()
export class ResourceSampler {
  private table?: { at: number; entries: ProcEntry[] };

  constructor(
    private readonly procs: ProcTable,
    private readonly clock: Clock,
  ) {}

  /** Undefined when the tree is gone (or /proc is not readable). */
  sample(pid: number, cgroup?: CgroupHandle): TreeUsage | undefined {
    const members = treeOf(pid, this.entries());
    if (members.length === 0) return undefined;
    const own = cgroup?.usage();
    if (own && cgroup) {
      const processes = cgroup.pids().length;
      return { ...own, processes: processes || members.length, source: 'cgroup' };
    }
    return {
      memoryBytes: members.reduce((sum, p) => sum + this.procs.rssBytes(p.pid), 0),
      cpuSeconds: members.reduce((sum, p) => sum + p.cpuTicks, 0) / CLOCK_TICKS_PER_SECOND,
      processes: members.length,
      source: 'proc',
    };
  }

  private entries(): ProcEntry[] {
    const now = this.clock.now();
    if (!this.table || now - this.table.at >= TABLE_TTL_MS)
      this.table = { at: now, entries: this.procs.list() };
    return this.table.entries;
  }
}

/** The live processes of the tree led by `pid`: its descendants, and its process group. */
export function treeOf(pid: number, entries: readonly ProcEntry[]): ProcEntry[] {
  const live = entries.filter((p) => p.state !== 'Z');
  const children = new Map<number, ProcEntry[]>();
  for (const p of live) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const found = new Map<number, ProcEntry>();
  const queue = live.filter((p) => p.pid === pid || p.pgid === pid);
  while (queue.length > 0) {
    const p = queue.pop()!;
    if (found.has(p.pid)) continue;
    found.set(p.pid, p);
    queue.push(...(children.get(p.pid) ?? []));
  }
  return [...found.values()];
}
