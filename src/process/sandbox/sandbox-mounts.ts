import { dirname, isAbsolute, normalize, sep } from 'node:path';
import { Injectable, Logger } from '@nestjs/common';
import { SatelliteConfig } from '../../config/satellite-config.js';
import { HostFs } from '../host-fs.js';

/** Host paths seen at the same path inside the sandbox. */
export interface MountPlan {
  readonly readOnly: readonly string[];
  readonly writable: readonly string[];
  readonly symlinks: ReadonlyArray<{ readonly target: string; readonly path: string }>;
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

/**
 * Decides what a sandboxed server sees: the system directories and a small /etc read-only, the
 * directories its command line points into read-only (its own code: a script's directory, a
 * whole `node_modules` tree, its Node), and its team directory writable. Never the satellite's
 * data directory or another team's directory, even when an argument names them.
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
      if (!this.fs.exists(path) || isUnder(path, SYSTEM_DIRS)) continue;
      const dir = this.codeRoot(path);
      if (!this.allowed(dir, input.teamDir)) continue;
      extra.add(dir);
    }
    return {
      readOnly: [...system.readOnly, ...collapse([...extra])],
      writable: [input.teamDir],
      symlinks: system.symlinks,
    };
  }

  /** The directory to expose for a path: the outermost node_modules it is in, else its directory. */
  private codeRoot(path: string): string {
    const marker = `${sep}node_modules${sep}`;
    const at = path.indexOf(marker);
    if (at >= 0) return path.slice(0, at + marker.length - 1);
    return this.fs.kind(path) === 'dir' ? path : dirname(path);
  }

  private allowed(dir: string, teamDir: string): boolean {
    const dataDir = normalize(this.config.dataDir);
    const why =
      dir === '/'
        ? 'the root directory'
        : isUnder(dataDir, [dir])
          ? 'it contains the satellite data directory'
          : isUnder(dir, [dataDir]) && !isUnder(dir, [teamDir])
            ? "it is inside the satellite data directory (another team's files or credentials)"
            : isUnder(dir, [teamDir])
              ? ''
              : undefined;
    if (why === undefined) return true;
    if (why !== '') this.logger.warn(`not exposing ${dir} to a sandbox: ${why}`);
    return false;
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
