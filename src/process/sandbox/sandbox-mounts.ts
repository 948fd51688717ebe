import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { SatelliteConfig } from '../../config/satellite-config.js';
import type { ExtraMount } from '../../config/server-definition.js';
import { HostFs } from '../host-fs.js';
import { SandboxUnavailableError } from '../process.errors.js';

/** Host paths seen at the same path inside the sandbox. */
export interface MountPlan {
  readonly readOnly: readonly string[];
  readonly writable: readonly string[];
  readonly symlinks: ReadonlyArray<{ readonly target: string; readonly path: string }>;
  /** Host files bound read-only at another path (the sandbox's own /etc/resolv.conf). */
  readonly files: ReadonlyArray<{ readonly source: string; readonly target: string }>;
}

const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];
/** Enough of /etc for libc, TLS, DNS and user lookups; never the whole of /etc. */
const ETC_ENTRIES = [
  '/etc/alternatives',
  '/etc/ssl',
  '/etc/ca-certificates',
  '/etc/pki',
  '/etc/resolv.conf',
  '/etc/hosts',
  '/etc/host.conf',
  '/etc/gai.conf',
  '/etc/nsswitch.conf',
  '/etc/passwd',
  '/etc/group',
  '/etc/localtime',
  '/etc/timezone',
  '/etc/ld.so.cache',
  '/etc/ld.so.conf',
  '/etc/ld.so.conf.d',
  '/etc/os-release',
  '/etc/mime.types',
];

/** Files that make a folder the root of a project whose code a script may load. */
const PROJECT_MARKERS = ['package.json', 'pyproject.toml', 'pyvenv.cfg', 'setup.py', 'deno.json'];

/** A mount the definition asked for that cannot be granted. */
export class MountRefusedError extends SandboxUnavailableError {
  constructor(message: string) {
    super(message);
    this.name = 'MountRefusedError';
  }
}

/**
 * Decides what a sandboxed server sees: the system directories and a small /etc read-only, the
 * code its command line points into read-only (the project a script belongs to, with the
 * `node_modules` it resolves from; a whole `node_modules` tree; a venv and its base Python; its
 * Node), the definition's explicit `mounts`, and its team directory writable. Never the
 * satellite's data directory or another team's directory, even when an argument names them.
 */
@Injectable()
export class SandboxMounts {
  private readonly logger = new Logger(SandboxMounts.name);
  private system?: Pick<MountPlan, 'readOnly' | 'symlinks'>;

  constructor(
    private readonly fs: HostFs,
    private readonly config: SatelliteConfig,
  ) {}

  plan(input: {
    readonly command: string;
    readonly args: readonly string[];
    readonly pathDirs: readonly string[];
    readonly definitionCwd?: string;
    readonly teamDir: string;
    readonly mounts?: readonly ExtraMount[];
    readonly files?: MountPlan['files'];
  }): MountPlan {
    const system = (this.system ??= this.systemMounts());
    const extra = new Set<string>();
    const candidates = [
      input.command,
      ...input.args,
      ...input.pathDirs,
      ...(input.definitionCwd ? [input.definitionCwd] : []),
    ];
    for (const raw of candidates) {
      if (!isAbsolute(raw)) continue;
      const path = normalize(raw);
      if (!this.fs.exists(path)) continue;
      // A symlinked command (a venv's python, a tool linked into /usr/local/bin) runs its target.
      const real = this.fs.realpath(path);
      for (const p of real && real !== path ? [path, real] : [path]) {
        if (isUnder(p, SYSTEM_DIRS)) continue;
        for (const dir of this.codeRoots(p)) if (this.allowed(dir, input.teamDir)) extra.add(dir);
      }
    }
    const writable = [input.teamDir];
    for (const m of input.mounts ?? []) {
      const path = normalize(m.path);
      if (!this.fs.exists(path)) throw new MountRefusedError(`mount ${path} does not exist`);
      const why = this.forbidden(path, input.teamDir);
      if (why) throw new MountRefusedError(`mount ${path} is not allowed: ${why}`);
      if (m.writable) writable.push(path);
      else extra.add(path);
    }
    return {
      readOnly: [...system.readOnly, ...collapse([...extra])],
      writable,
      symlinks: system.symlinks,
      files: input.files ?? [],
    };
  }

  /**
   * What to expose for a path: inside a `node_modules`, the outermost one; inside a project (the
   * nearest folder with a project marker), the project and every `node_modules` above it that
   * Node would resolve from; a venv's base interpreter; else the path's own directory.
   */
  private codeRoots(path: string): string[] {
    const marker = `${sep}node_modules${sep}`;
    const at = path.indexOf(marker);
    if (at >= 0) return [path.slice(0, at + marker.length - 1)];
    const start = this.fs.kind(path) === 'dir' ? path : dirname(path);
    let project = this.projectRoot(start);
    if (!project) return [start];
    const roots: string[] = [];
    // A venv inside a project (`<project>/.venv`) exposes the project it belongs to.
    if (this.fs.exists(join(project, 'pyvenv.cfg'))) {
      roots.push(...this.venvBase(project));
      const outer = this.projectRoot(dirname(project));
      if (outer && this.allowedQuietly(outer)) project = outer;
    }
    if (!this.allowedQuietly(project)) return [...roots, start];
    roots.push(project);
    for (let dir = dirname(project); dir !== dirname(dir); dir = dirname(dir)) {
      const nm = join(dir, 'node_modules');
      if (this.fs.kind(nm) === 'dir') roots.push(nm);
    }
    return roots;
  }

  private projectRoot(from: string): string | undefined {
    for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
      if (PROJECT_MARKERS.some((m) => this.fs.exists(join(dir, m)))) return dir;
    }
    return undefined;
  }

  /** A venv's `home` (the base interpreter's bin) names the Python installation it runs on. */
  private venvBase(venv: string): string[] {
    const cfg = this.fs.read(join(venv, 'pyvenv.cfg')) ?? '';
    const home = /^home\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
    if (!home || !isAbsolute(home) || isUnder(home, SYSTEM_DIRS)) return [];
    return [basename(home) === 'bin' ? dirname(home) : home];
  }

  private allowedQuietly(dir: string): boolean {
    return this.forbidden(dir, '') === undefined;
  }

  private allowed(dir: string, teamDir: string): boolean {
    if (isUnder(dir, [teamDir])) return false; // writable already
    const why = this.forbidden(dir, teamDir);
    if (why === undefined) return true;
    this.logger.warn(`not exposing ${dir} to a sandbox: ${why}`);
    return false;
  }

  /** Why `dir` must never be seen by a sandbox of `teamDir`, or undefined when it may. */
  private forbidden(dir: string, teamDir: string): string | undefined {
    const dataDir = normalize(this.config.dataDir);
    if (dir === '/') return 'the root directory';
    if (isUnder(dataDir, [dir])) return 'it contains the satellite data directory';
    if (isUnder(dir, [dataDir]) && !(teamDir && isUnder(dir, [teamDir])))
      return "it is inside the satellite data directory (another team's files or credentials)";
    return undefined;
  }

  private systemMounts(): Pick<MountPlan, 'readOnly' | 'symlinks'> {
    const readOnly: string[] = [];
    const symlinks: Array<{ target: string; path: string }> = [];
    for (const path of SYSTEM_DIRS) {
      const kind = this.fs.kind(path);
      if (kind === 'symlink') symlinks.push({ target: this.fs.readlink(path), path });
      else if (kind === 'dir') readOnly.push(path);
    }
    for (const path of ETC_ENTRIES) if (this.fs.exists(path)) readOnly.push(path);
    return { readOnly, symlinks };
  }
}

/** `path` equals or lies below one of `roots`. */
export function isUnder(path: string, roots: readonly string[]): boolean {
  return roots.some((r) => path === r || path.startsWith(r.endsWith(sep) ? r : r + sep));
}

/** Drops paths already covered by another path of the list. */
function collapse(paths: string[]): string[] {
  const sorted = [...new Set(paths)].sort((a, b) => a.length - b.length);
  const out: string[] = [];
  for (const p of sorted) if (!isUnder(p, out)) out.push(p);
  return out.sort();
}
