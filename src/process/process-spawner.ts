import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { ProcTable } from './proc-table.js';

export interface SpawnRequest {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd: string;
}

/** The part of a Node ChildProcess the supervisor uses (fakes implement it in unit tests). */
export interface SpawnedChild {
  readonly pid: number | undefined;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  once(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  once(event: 'error', listener: (err: Error) => void): this;
}

/**
 * Spawning and signalling process groups: the only place that forks (docs/style.md §3).
 * Every child is spawned `detached` (setsid), so it leads its own process group and the whole
 * tree (wrappers like npx, uvx, sh -c and their descendants) can be signalled at once.
 */
@Injectable()
export class ProcessSpawner {
  constructor(private readonly procs: ProcTable) {}

  spawn(req: SpawnRequest): SpawnedChild {
    const child = spawn(req.command, [...req.args], {
      cwd: req.cwd,
      env: { ...req.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
    });
    return child as unknown as SpawnedChild;
  }

  /** Signals every process of the group; false when the group no longer exists. */
  signalGroup(pgid: number, signal: NodeJS.Signals | 0): boolean {
    try {
      process.kill(-pgid, signal);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  signalProcess(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }

  /**
   * Whether a live process remains in the group. kill(-pgid, 0) also succeeds for zombies, and
   * orphaned zombies linger where PID 1 does not reap (no tini): confirm with /proc then.
   */
  groupAlive(pgid: number): boolean {
    if (!this.signalGroup(pgid, 0)) return false;
    return this.procs.groupMembers(pgid).length > 0;
  }

  /** Runs `fn` synchronously when the satellite process exits, whatever the cause short of SIGKILL. */
  onHostExit(fn: () => void): () => void {
    process.on('exit', fn);
    return () => process.off('exit', fn);
  }
}
