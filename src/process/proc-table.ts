import { readdirSync, readFileSync } from 'node:fs';
import { Injectable } from '@nestjs/common';

export interface ProcEntry {
  readonly pid: number;
  readonly ppid: number;
  readonly pgid: number;
  /** Kernel state letter; `Z` is a zombie (exited, not reaped: harmless, holds no memory). */
  readonly state: string;
  /** Start time in clock ticks since boot: with the pid, it identifies a process across pid reuse. */
  readonly startTime: number;
  /** User + system CPU time in clock ticks (USER_HZ, 100 per second on Linux). */
  readonly cpuTicks: number;
}

/** USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux architecture Node runs on. */
export const CLOCK_TICKS_PER_SECOND = 100;

/** Reads /proc (Linux). Behind an injectable so unit tests need no real processes. */
@Injectable()
export class ProcTable {
  read(pid: number): ProcEntry | undefined {
    try {
      return parseStat(readFileSync(`/proc/${pid}/stat`, 'latin1'));
    } catch {
      return undefined;
    }
  }

  list(): ProcEntry[] {
    const out: ProcEntry[] = [];
    let names: string[];
    try {
      names = readdirSync('/proc');
    } catch {
      return out;
    }
    for (const name of names) {
      if (name.charCodeAt(0) < 48 || name.charCodeAt(0) > 57) continue;
      const entry = this.read(Number(name));
      if (entry) out.push(entry);
    }
    return out;
  }

  /** Resident memory of one process (`VmRSS` of /proc/<pid>/status), 0 once it is gone. */
  rssBytes(pid: number): number {
    try {
      const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      return m ? Number(m[1]) * 1024 : 0;
    } catch {
      return 0;
    }
  }

  /** Live (non-zombie) members of a process group. */
  groupMembers(pgid: number): ProcEntry[] {
    return this.list().filter((p) => p.pgid === pgid && p.state !== 'Z');
  }
}

/** `pid (comm) state ppid pgrp …`: comm may hold spaces and parentheses, so split after the last `)`. */
export function parseStat(stat: string): ProcEntry | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(stat.slice(0, stat.indexOf(' ')));
  const fields = stat.slice(close + 2).split(' ');
  // fields[0] is field 3 of proc(5): state; ppid 4, pgrp 5, utime 14, stime 15, starttime 22.
  const [state, ppid, pgid] = [fields[0] ?? '?', Number(fields[1]), Number(fields[2])];
  const startTime = Number(fields[19]);
  const cpuTicks = Number(fields[11]) + Number(fields[12]);
  if (!Number.isFinite(pid) || !Number.isFinite(pgid)) return undefined;
  return { pid, ppid, pgid, state, startTime, cpuTicks: Number.isFinite(cpuTicks) ? cpuTicks : 0 };
}
