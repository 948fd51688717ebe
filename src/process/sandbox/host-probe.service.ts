import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { SYSTEM_PATH } from '../clean-env.js';
import { HostFs } from '../host-fs.js';

export interface ProbeResult {
  readonly ok: boolean;
  readonly reason?: string;
}

/** What this host offers for sandboxing: tools on the system PATH, root or not, and trial runs. */
@Injectable()
export class HostProbe {
  constructor(private readonly fs: HostFs) {}

  /** A tool on the system PATH (sandbox tools are system packages; the satellite's PATH is not read). */
  which(name: string): string | undefined {
    for (const dir of SYSTEM_PATH.split(':')) {
      const path = join(dir, name);
      if (this.fs.kind(path) === 'file' || this.fs.kind(path) === 'symlink') return path;
    }
    return undefined;
  }

  isRoot(): boolean {
    return process.geteuid?.() === 0;
  }

  /** Runs `command args` once (a sandbox that starts `/bin/true`) and reports why it failed. */
  trial(command: string, args: readonly string[]): ProbeResult {
    const r = spawnSync(command, [...args], {
      env: { PATH: SYSTEM_PATH },
      timeout: 10_000,
      encoding: 'utf8',
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    if (r.error) return { ok: false, reason: `${command}: ${r.error.message}` };
    if (r.status === 0) return { ok: true };
    const stderr = r.stderr.trim().split('\n').slice(-2).join(' / ');
    return {
      ok: false,
      reason: `${command} exited with ${r.status ?? r.signal}${stderr ? `: ${stderr}` : ''}`,
    };
  }
}
