import { createHash } from 'node:crypto';
import { dirname, join } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import type { ResourceLimits } from '../../config/satellite-config.js';
import { SatelliteConfig } from '../../config/satellite-config.js';
import { HostFs } from '../host-fs.js';
import { ProcessSpawner } from '../process-spawner.js';
import {
  type CgroupController,
  type CgroupDir,
  CgroupHandle,
  type CgroupVersion,
} from './cgroup-handle.js';

const CGROUP_ROOT = '/sys/fs/cgroup';
const CONTROLLERS: readonly CgroupController[] = ['memory', 'pids', 'cpu'];
const CPU_PERIOD_US = 100_000;

export interface CgroupSupport {
  readonly version?: CgroupVersion;
  readonly controllers: readonly CgroupController[];
  readonly missing: ReadonlyArray<{ controller: CgroupController; reason: string }>;
}

interface Layout extends CgroupSupport {
  /** The satellite's own parent directories (one per hierarchy), under which each process gets a cgroup. */
  readonly parents: readonly CgroupDir[];
}

/**
 * Creates one cgroup per sandboxed process under a directory named after this satellite's data
 * directory (so a restarted satellite finds and sweeps its own leftovers, and two satellites on
 * one host never touch each other's). cgroup v2 where its controllers are available, else v1.
 */
@Injectable()
export class CgroupManager {
  private readonly logger = new Logger(CgroupManager.name);
  private layout?: Layout;
  readonly tag: string;

  constructor(
    private readonly fs: HostFs,
    private readonly spawner: ProcessSpawner,
    config: SatelliteConfig,
  ) {
    this.tag = `dss-${createHash('sha256').update(config.dataDir).digest('hex').slice(0, 10)}`;
  }

  support(): CgroupSupport {
    this.layout ??= this.probe();
    return this.layout;
  }

  /** A cgroup with the limits applied; undefined when no controller is usable. Throws if creation fails. */
  create(name: string, limits: ResourceLimits): CgroupHandle | undefined {
    const layout = (this.layout ??= this.probe());
    if (!layout.version || layout.parents.length === 0) return undefined;
    this.ensureParents(layout);
    const dirs: CgroupDir[] = layout.parents.map((p) => ({
      dir: join(p.dir, name),
      controllers: p.controllers,
    }));
    const version = layout.version;
    const handle = new CgroupHandle(
      version,
      dirs,
      this.fs,
      (pid) => this.spawner.signalProcess(pid, 'SIGKILL'),
      (next) => {
        for (const d of dirs)
          for (const c of d.controllers) this.applyLimit(version, d.dir, c, next);
      },
    );
    try {
      for (const d of dirs) {
        this.fs.mkdir(d.dir);
        for (const c of d.controllers) this.applyLimit(layout.version, d.dir, c, limits);
      }
    } catch (err) {
      handle.remove();
      throw new Error(`cannot create the cgroup ${name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    return handle;
  }

  /**
   * Kills and removes cgroups left by a previous run of this satellite; returns how many. Reads
   * only: nothing is created on a host whose driver never needs cgroups.
   */
  async sweep(sleep: (ms: number) => Promise<void>): Promise<number> {
    let swept = 0;
    for (const { version, parent } of this.candidateParents()) {
      for (const name of this.fs
        .list(parent.dir)
        .filter((n) => this.fs.kind(join(parent.dir, n)) === 'dir')) {
        const handle = new CgroupHandle(
          version,
          [{ dir: join(parent.dir, name), controllers: parent.controllers }],
          this.fs,
          (pid) => this.spawner.signalProcess(pid, 'SIGKILL'),
        );
        handle.killAll();
        for (let i = 0; i < 50 && !handle.remove(); i++) await sleep(20);
        swept++;
      }
      this.fs.rmdir(parent.dir);
    }
    return swept;
  }

  /** Removes this satellite's (empty) parent cgroups at shutdown. */
  release(): void {
    if (!this.parentsReady) return;
    for (const p of this.layout?.parents ?? []) this.fs.rmdir(p.dir);
    this.parentsReady = false;
  }

  private parentsReady = false;

  /** Creates the parent cgroups (and, on v2, delegates the controllers) on first use. */
  private ensureParents(layout: Layout): void {
    if (this.parentsReady) return;
    const enable = layout.controllers.map((c) => `+${c}`).join(' ');
    for (const p of layout.parents) {
      if (layout.version === 'v2') this.enableSubtree(dirname(p.dir), enable);
      this.fs.mkdir(p.dir);
      if (layout.version === 'v2') this.fs.write(join(p.dir, 'cgroup.subtree_control'), enable);
    }
    this.parentsReady = true;
  }

  /** Where leftovers of this satellite could be: the parent directories, by hierarchy. */
  private candidateParents(): Array<{ version: CgroupVersion; parent: CgroupDir }> {
    const self = parseSelfCgroup(this.fs.read('/proc/self/cgroup') ?? '');
    const out: Array<{ version: CgroupVersion; parent: CgroupDir }> = [];
    const v2mount = this.v2Mount();
    if (v2mount && self.v2 !== undefined)
      out.push({
        version: 'v2',
        parent: { dir: join(inside(v2mount, self.v2), this.tag), controllers: CONTROLLERS },
      });
    for (const c of CONTROLLERS) {
      const path = self.v1.get(c);
      if (path !== undefined)
        out.push({
          version: 'v1',
          parent: { dir: join(inside(join(CGROUP_ROOT, c), path), this.tag), controllers: [c] },
        });
    }
    return out.filter((o) => this.fs.kind(o.parent.dir) === 'dir');
  }

  private v2Mount(): string | undefined {
    return [CGROUP_ROOT, join(CGROUP_ROOT, 'unified')].find((m) =>
      this.fs.exists(join(m, 'cgroup.controllers')),
    );
  }

  private applyLimit(
    version: CgroupVersion,
    dir: string,
    c: CgroupController,
    limits: ResourceLimits,
  ): void {
    const bytes = String(Math.round(limits.memoryMb * 1024 * 1024));
    const quota = String(Math.max(1000, Math.round(limits.cpuCores * CPU_PERIOD_US)));
    switch (c) {
      case 'memory':
        if (version === 'v2') {
          this.fs.write(join(dir, 'memory.max'), bytes);
          if (this.fs.exists(join(dir, 'memory.swap.max')))
            this.fs.write(join(dir, 'memory.swap.max'), '0');
        } else {
          // memsw (memory + swap) must never be below limit_in_bytes: when lowering, the limit
          // goes first; when raising, memsw goes first.
          const memsw = join(dir, 'memory.memsw.limit_in_bytes');
          const hasMemsw = this.fs.exists(memsw);
          const current = Number(this.fs.read(join(dir, 'memory.limit_in_bytes')) ?? 'NaN');
          const raising = Number.isFinite(current) && Number(bytes) > current;
          if (hasMemsw && raising) this.fs.write(memsw, bytes);
          this.fs.write(join(dir, 'memory.limit_in_bytes'), bytes);
          if (hasMemsw && !raising) this.fs.write(memsw, bytes);
        }
        return;
      case 'pids':
        this.fs.write(join(dir, 'pids.max'), String(limits.maxProcesses));
        return;
      case 'cpu':
        if (version === 'v2') this.fs.write(join(dir, 'cpu.max'), `${quota} ${CPU_PERIOD_US}`);
        else {
          this.fs.write(join(dir, 'cpu.cfs_period_us'), String(CPU_PERIOD_US));
          this.fs.write(join(dir, 'cpu.cfs_quota_us'), quota);
        }
        return;
    }
  }

  private probe(): Layout {
    const self = parseSelfCgroup(this.fs.read('/proc/self/cgroup') ?? '');
    const v2 = this.probeV2(self.v2);
    if (v2.version) return this.logged(v2);
    const v1 = this.probeV1(self.v1);
    if (v1.version) return this.logged({ ...v1, missing: [...v1.missing] });
    const missing = CONTROLLERS.map((controller) => ({
      controller,
      reason: [
        v2.missing.find((m) => m.controller === controller)?.reason,
        v1.missing.find((m) => m.controller === controller)?.reason,
      ]
        .filter(Boolean)
        .join('; '),
    }));
    return this.logged({ controllers: [], parents: [], missing });
  }

  private probeV2(selfPath: string | undefined): Layout {
    const none = (reason: string): Layout => ({
      controllers: [],
      parents: [],
      missing: CONTROLLERS.map((controller) => ({ controller, reason })),
    });
    const mount = this.v2Mount();
    if (!mount || selfPath === undefined) return none('cgroup v2 is not mounted');
    const base = inside(mount, selfPath);
    const available = (this.fs.read(join(base, 'cgroup.controllers')) ?? '').trim().split(/\s+/);
    const controllers = CONTROLLERS.filter((c) => available.includes(c));
    const absent = CONTROLLERS.filter((c) => !controllers.includes(c)).map((controller) => ({
      controller,
      reason: `cgroup v2 controller "${controller}" is not available in ${base}`,
    }));
    if (!controllers.includes('memory') && !controllers.includes('pids'))
      return { ...none(''), missing: absent };
    if (!this.fs.writable(join(base, 'cgroup.subtree_control')))
      return none(`cgroup v2 at ${base} is not writable by the satellite`);
    const parent = join(base, this.tag);
    return { version: 'v2', controllers, parents: [{ dir: parent, controllers }], missing: absent };
  }

  /**
   * cgroup v2 forbids enabling controllers for children of a cgroup that holds processes (the
   * "no internal processes" rule): like container init systems do, the satellite first moves
   * itself into a leaf `satellite` beside the cgroups it creates.
   */
  private enableSubtree(base: string, enable: string): void {
    const control = join(base, 'cgroup.subtree_control');
    try {
      this.fs.write(control, enable);
    } catch {
      const leaf = join(base, 'satellite');
      this.fs.mkdir(leaf);
      for (const pid of (this.fs.read(join(base, 'cgroup.procs')) ?? '')
        .split('\n')
        .filter((l) => /^\d+$/.test(l))) {
        this.fs.write(join(leaf, 'cgroup.procs'), pid);
      }
      this.fs.write(control, enable);
    }
  }

  private probeV1(self: ReadonlyMap<string, string>): Layout {
    const parents: CgroupDir[] = [];
    const missing: Array<{ controller: CgroupController; reason: string }> = [];
    for (const c of CONTROLLERS) {
      const mount = join(CGROUP_ROOT, c);
      const selfPath = self.get(c);
      if (!this.fs.exists(mount) || selfPath === undefined) {
        missing.push({ controller: c, reason: `cgroup v1 "${c}" hierarchy is not mounted` });
        continue;
      }
      const base = inside(mount, selfPath);
      if (this.fs.writable(base)) parents.push({ dir: join(base, this.tag), controllers: [c] });
      else
        missing.push({
          controller: c,
          reason: `cgroup v1 "${c}" at ${base} is not writable by the satellite`,
        });
    }
    return parents.length > 0
      ? { version: 'v1', controllers: parents.flatMap((p) => p.controllers), parents, missing }
      : { controllers: [], parents: [], missing };
  }

  private logged(layout: Layout): Layout {
    if (layout.version)
      this.logger.log(
        `cgroups ${layout.version}: ${layout.controllers.join(', ')} under ${layout.parents.map((p) => p.dir).join(', ')}`,
      );
    for (const m of layout.missing)
      this.logger.warn(`cgroup limit "${m.controller}" not available: ${m.reason}`);
    return layout;
  }
}

/** /proc/self/cgroup: `0::/path` (v2) and `N:ctrl1,ctrl2:/path` (v1). */
export function parseSelfCgroup(text: string): { v2?: string; v1: Map<string, string> } {
  const v1 = new Map<string, string>();
  let v2: string | undefined;
  for (const line of text.split('\n')) {
    const m = /^(\d+):([^:]*):(.*)$/.exec(line.trim());
    if (!m) continue;
    const [, , ctrls = '', path = '/'] = m;
    if (ctrls === '') v2 = path;
    else for (const c of ctrls.split(',')) v1.set(c, path);
  }
  return { ...(v2 === undefined ? {} : { v2 }), v1 };
}

/** A cgroup path (as in /proc/self/cgroup) under its mount point, without a trailing slash. */
function inside(mount: string, cgroupPath: string): string {
  return join(mount, cgroupPath).replace(/(.)\/+$/, '$1');
}
