import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { HostFs } from './host-fs.js';
import type { TeamWorkspace } from './sandbox/sandbox-driver.js';

const UID_RANGE_START = 1_000_000_000;

/**
 * One directory per team under `<dataDir>/teams/` (mode 0700): the team's servers' HOME and the
 * only place they may write. Where the sandbox can switch uids (a root satellite), each team also
 * gets its own host uid/gid, allocated once and persisted, so team A's processes cannot read team
 * B's files even outside the mount namespace. The uid block is derived from the data directory,
 * so two satellites on one host do not hand the same uid to different teams.
 */
@Injectable()
export class TeamWorkspaces {
  private readonly root: string;
  private uids?: Record<string, number>;

  constructor(
    private readonly fs: HostFs,
    config: SatelliteConfig,
  ) {
    this.root = join(config.dataDir, 'teams');
    const block =
      parseInt(createHash('sha256').update(config.dataDir).digest('hex').slice(0, 8), 16) % 100_000;
    this.uidBase = UID_RANGE_START + block * 10_000;
  }

  private readonly uidBase: number;

  prepare(team: string, withUid: boolean): TeamWorkspace {
    this.fs.mkdir(this.root, 0o711);
    const dir = join(this.root, dirName(team));
    const tmpDir = join(dir, '.tmp');
    this.fs.mkdir(tmpDir, 0o700);
    this.fs.chmod(dir, 0o700);
    if (!withUid) return { team, dir, tmpDir };
    const uid = this.uidOf(team);
    this.fs.chown(dir, uid, uid);
    this.fs.chown(tmpDir, uid, uid);
    return { team, dir, tmpDir, uid, gid: uid };
  }

  private uidOf(team: string): number {
    const file = join(this.root, '.uids.json');
    this.uids ??= JSON.parse(this.fs.read(file) ?? '{}') as Record<string, number>;
    const known = this.uids[team];
    if (known !== undefined) return known;
    const uid = this.uidBase + Object.keys(this.uids).length + 1;
    this.uids[team] = uid;
    this.fs.write(file, JSON.stringify(this.uids, null, 2), 0o600);
    return uid;
  }
}

/** A team id as a directory name: kept when plainly safe, else a readable prefix plus a hash. */
export function dirName(team: string): string {
  if (/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/.test(team)) return team;
  const readable = team.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 32);
  return `~${readable}-${createHash('sha256').update(team).digest('hex').slice(0, 12)}`;
}
