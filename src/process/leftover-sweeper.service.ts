import { join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { HostFs } from './host-fs.js';
import { Clock } from '../events/clock.js';
import { ProcessSpawner } from './process-spawner.js';
import { ProcTable } from './proc-table.js';
import { CgroupManager } from './sandbox/cgroup-manager.service.js';
import { SandboxNetwork } from './sandbox/sandbox-network.js';

interface GroupRecord {
  readonly pgid: number;
  /** The leader's start time: a recycled pid number is not mistaken for our group. */
  readonly startTime: number;
  readonly serverId: string;
}

/**
 * Remembers every live process group on disk (`<dataDir>/run/process-groups/`) so that a satellite
 * that died without cleaning up (SIGKILL, OOM, power loss) kills its orphans on the next start,
 * and removes the cgroups it had created. Safe only because a satellite holds the data directory's
 * lock before this runs (createApp, DataDirLock): whatever the records name was left by a
 * previous holder, never by a live satellite on the same directory.
 */
@Injectable()
export class LeftoverSweeper {
  private readonly logger = new Logger(LeftoverSweeper.name);
  private readonly dir: string;

  constructor(
    private readonly fs: HostFs,
    private readonly procs: ProcTable,
    private readonly spawner: ProcessSpawner,
    private readonly cgroups: CgroupManager,
    private readonly network: SandboxNetwork,
    private readonly clock: Clock,
    config: SatelliteConfig,
  ) {
    this.dir = join(config.dataDir, 'run', 'process-groups');
  }

  record(pgid: number, serverId: string): void {
    const leader = this.procs.read(pgid);
    const rec: GroupRecord = { pgid, startTime: leader?.startTime ?? 0, serverId };
    this.fs.mkdir(this.dir, 0o700);
    this.fs.write(join(this.dir, String(pgid)), JSON.stringify(rec));
  }

  forget(pgid: number): void {
    this.fs.remove(join(this.dir, String(pgid)));
  }

  /** Kills leftover groups of a previous run; returns what was found. */
  async sweep(): Promise<{ groups: number; cgroups: number }> {
    let groups = 0;
    for (const name of this.fs.list(this.dir)) {
      const rec = parse(this.fs.read(join(this.dir, name)));
      this.fs.remove(join(this.dir, name));
      if (!rec || !this.isOurs(rec)) continue;
      this.spawner.signalGroup(rec.pgid, 'SIGKILL');
      groups++;
      this.logger.warn(
        `killed leftover process group ${rec.pgid} of server ${rec.serverId} (previous run)`,
      );
    }
    const cgroups = await this.cgroups.sweep((ms) => this.clock.sleep(ms));
    this.network.sweep();
    if (cgroups > 0) this.logger.warn(`removed ${cgroups} leftover cgroup(s) of a previous run`);
    return { groups, cgroups };
  }

  /**
   * A group is ours when its leader is the recorded process, or (the leader died, a wrapper's
   * grandchildren live on) when every member started after the recorded leader: a pgid number is
   * not reused while any member of the group lives.
   */
  private isOurs(rec: GroupRecord): boolean {
    const leader = this.procs.read(rec.pgid);
    if (leader && leader.pgid === rec.pgid) return leader.startTime === rec.startTime;
    if (leader) return false;
    const members = this.procs.groupMembers(rec.pgid);
    return members.length > 0 && members.every((m) => m.startTime >= rec.startTime);
  }
}

function parse(text: string | undefined): GroupRecord | undefined {
  try {
    const rec = JSON.parse(text ?? '') as Partial<GroupRecord>;
    return typeof rec.pgid === 'number' && typeof rec.startTime === 'number'
      ? { pgid: rec.pgid, startTime: rec.startTime, serverId: String(rec.serverId) }
      : undefined;
  } catch {
    return undefined;
  }
}
