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
}

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
  // fields[0] is field 3 of proc(5): state; ppid 4, pgrp 5, starttime 22.
  const [state, ppid, pgid] = [fields[0] ?? '?', Number(fields[1]), Number(fields[2])];
  const startTime = Number(fields[19]);
  if (!Number.isFinite(pid) || !Number.isFinite(pgid)) return undefined;
  return { pid, ppid, pgid, state, startTime };
}
