import { join } from 'node:path';
import type { ResourceLimits } from '../../config/satellite-config.js';
import type { HostFs } from '../host-fs.js';

export type CgroupVersion = 'v1' | 'v2';
export type CgroupController = 'memory' | 'pids' | 'cpu';

/** One cgroup directory and the controllers it carries (v2: all in one; v1: one per hierarchy). */
export interface CgroupDir {
  readonly dir: string;
  readonly controllers: readonly CgroupController[];
}

export interface LimitHit {
  readonly limit: 'memory' | 'pids';
  readonly detail: string;
}

/** The cgroup(s) of one sandboxed process tree: join, inspect after exit, kill, remove. */
export class CgroupHandle {
  constructor(
    readonly version: CgroupVersion,
    readonly dirs: readonly CgroupDir[],
    private readonly fs: HostFs,
    private readonly kill: (pid: number) => void,
    private readonly apply?: (limits: ResourceLimits) => void,
  ) {}

  /** Changes the limits of the running tree (install limits → the configured ones). */
  setLimits(limits: ResourceLimits): void {
    this.apply?.(limits);
  }

  /** Files a launcher writes its own pid into before `exec` (so nothing forks outside the limit). */
  get procsFiles(): string[] {
    return this.dirs.map((d) => join(d.dir, 'cgroup.procs'));
  }

  /** What the kernel enforced during the run: an OOM kill, refused forks. */
  limitHits(): LimitHit[] {
    const hits: LimitHit[] = [];
    const memory = this.dirOf('memory');
    if (memory) {
      const file = this.version === 'v2' ? 'memory.events' : 'memory.oom_control';
      const oomKills = counter(this.fs.read(join(memory, file)), 'oom_kill');
      if (oomKills > 0)
        hits.push({
          limit: 'memory',
          detail: `${oomKills} process(es) killed by the kernel OOM killer at the memory limit`,
        });
    }
    const pids = this.dirOf('pids');
    if (pids) {
      const refused = counter(this.fs.read(join(pids, 'pids.events')), 'max');
      if (refused > 0)
        hits.push({ limit: 'pids', detail: `${refused} fork(s) refused at the process limit` });
    }
    return hits;
  }

  /**
   * What the whole tree uses now, from cgroup v2's `memory.current` (anonymous memory and page
   * cache of every process in it) and `cpu.stat` `usage_usec` (kept for processes that exited).
   * Undefined on v1 or when the files cannot be read: the caller falls back to /proc.
   */
  usage(): { memoryBytes: number; cpuSeconds: number } | undefined {
    const dir = this.version === 'v2' ? this.dirs[0]?.dir : undefined;
    if (!dir) return undefined;
    const memory = Number((this.fs.read(join(dir, 'memory.current')) ?? '').trim() || NaN);
    const usec = /^usage_usec (\d+)$/m.exec(this.fs.read(join(dir, 'cpu.stat')) ?? '');
    if (!Number.isFinite(memory) || !usec) return undefined;
    return { memoryBytes: memory, cpuSeconds: Number(usec[1]) / 1e6 };
  }

  pids(): number[] {
    const all = new Set<number>();
    for (const file of this.procsFiles) {
      for (const line of (this.fs.read(file) ?? '').split('\n'))
        if (/^\d+$/.test(line.trim())) all.add(Number(line));
    }
    return [...all];
  }

  /** SIGKILLs every process in the cgroup, including any that left the process group (setsid). */
  killAll(): void {
    const v2 = this.version === 'v2' ? this.dirs[0] : undefined;
    if (v2 && this.fs.exists(join(v2.dir, 'cgroup.kill'))) {
      try {
        this.fs.write(join(v2.dir, 'cgroup.kill'), '1');
        return;
      } catch {
        // fall back to signalling each pid
      }
    }
    for (const pid of this.pids()) this.kill(pid);
  }

  /** Removes the directories; false while processes remain. */
  remove(): boolean {
    let ok = true;
    for (const d of this.dirs) if (this.fs.exists(d.dir) && !this.fs.rmdir(d.dir)) ok = false;
    return ok;
  }

  private dirOf(controller: CgroupController): string | undefined {
    return this.dirs.find((d) => d.controllers.includes(controller))?.dir;
  }
}

/** Reads `key N` from a flat-keyed cgroup file (memory.events, memory.oom_control, pids.events). */
function counter(text: string | undefined, key: string): number {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(text ?? '');
  return m ? Number(m[1]) : 0;
}
