import { dirname } from 'node:path';
import type { CgroupManager } from './cgroup-manager.service.js';
import type {
  SandboxDriver,
  SandboxLaunch,
  SandboxReport,
  SandboxRequest,
} from './sandbox-driver.js';
import { jailedLaunch, namespaceReport, planMounts, teamUidGap } from './sandbox-common.js';
import type { MountPlan, SandboxMounts } from './sandbox-mounts.js';
import type { SandboxNetwork } from './sandbox-network.js';

export interface BwrapTools {
  readonly bwrap: string;
  readonly prlimit?: string;
  readonly setpriv?: string;
  /** The satellite runs as root: no user namespace, each team gets its own host uid via setpriv. */
  readonly root: boolean;
}

/**
 * Debian's bubblewrap: new mount/pid/ipc/uts/net/cgroup namespaces, a read-only system, the team
 * directory as the only writable path, --die-with-parent (the sandbox dies with the satellite even
 * on SIGKILL). bwrap has no resource limits of its own: the satellite's cgroup (joined before exec)
 * carries memory/cpu/pids, and prlimit sets RLIMIT_CPU inside.
 */
export class BwrapSandbox implements SandboxDriver {
  readonly name = 'bwrap' as const;
  readonly usesTeamUid: boolean;

  constructor(
    private readonly tools: BwrapTools,
    private readonly cgroups: CgroupManager,
    private readonly mounts: SandboxMounts,
    private readonly network: SandboxNetwork,
  ) {
    this.usesTeamUid = teamUidGap(tools.root, tools.setpriv) === undefined;
  }

  report(): SandboxReport {
    return namespaceReport({
      driver: this.name,
      cgroups: this.cgroups,
      egressGap: this.network.unavailable(),
      ...(this.tools.prlimit ? {} : { cpuTimeGap: 'prlimit (util-linux) not found' }),
      ...(this.usesTeamUid ? {} : { teamUidGap: teamUidGap(this.tools.root, this.tools.setpriv) }),
    });
  }

  prepare(req: SandboxRequest): SandboxLaunch {
    return jailedLaunch({
      req,
      network: this.network,
      cgroups: this.cgroups,
      tool: this.tools.bwrap,
      env: req.env,
      args: (jail) => [
        // With a network jail the sandbox starts inside the jail's namespace: no new one.
        ...this.namespaceArgs(!jail),
        ...mountArgs(planMounts(this.mounts, req, jail)),
        '--chdir',
        req.cwd,
        '--',
        ...this.innerCommand(req),
      ],
    });
  }

  /** The bwrap flags, without mounts or command (also used by the availability probe). */
  namespaceArgs(unshareNet = true): string[] {
    return [
      '--die-with-parent',
      // A root satellite creates no user namespace: the server drops to its team uid via setpriv.
      ...(this.tools.root && this.usesTeamUid ? [] : ['--unshare-user']),
      '--unshare-ipc',
      '--unshare-pid',
      '--unshare-uts',
      ...(unshareNet ? ['--unshare-net'] : []),
      '--unshare-cgroup-try',
      '--hostname',
      'mcp-sandbox',
    ];
  }

  private innerCommand(req: SandboxRequest): string[] {
    const { prlimit, setpriv } = this.tools;
    const { uid, gid } = req.workspace;
    const cpu = req.limits.cpuSeconds;
    return [
      // Soft limit: SIGXCPU; hard limit 5 s later: SIGKILL. No core dumps.
      ...(prlimit ? [prlimit, `--cpu=${cpu}:${cpu + 5}`, '--core=0', '--'] : []),
      ...(setpriv && this.usesTeamUid && uid !== undefined && gid !== undefined
        ? [
            setpriv,
            `--reuid=${uid}`,
            `--regid=${gid}`,
            '--clear-groups',
            '--no-new-privs',
            '--inh-caps=-all',
            '--bounding-set=-all',
            '--',
          ]
        : []),
      req.command,
      ...req.args,
    ];
  }
}

export function mountArgs(plan: MountPlan): string[] {
  // Order matters: later mounts cover earlier ones, so the writable team directory comes last.
  const args = ['--proc', '/proc', '--dev', '/dev', '--perms', '1777', '--tmpfs', '/tmp'];
  // bwrap creates missing parents 0700 (root-owned): a team uid could not traverse them.
  for (const dir of parentDirs(plan)) args.push('--perms', '0755', '--dir', dir);
  for (const p of plan.readOnly) args.push('--ro-bind-try', p, p);
  for (const f of plan.files) args.push('--ro-bind', f.source, f.target);
  for (const s of plan.symlinks) args.push('--symlink', s.target, s.path);
  for (const p of plan.writable) args.push('--bind', p, p);
  return args;
}

/** Every ancestor of a mount point that is not itself mounted, shallowest first. */
function parentDirs(plan: MountPlan): string[] {
  const targets = [...plan.readOnly, ...plan.writable, ...plan.symlinks.map((s) => s.path)];
  const dirs = new Set<string>();
  for (const target of targets) {
    for (let dir = dirname(target); dir !== '/' && !targets.includes(dir); dir = dirname(dir))
      dirs.add(dir);
  }
  return [...dirs].sort((a, b) => a.split('/').length - b.split('/').length || a.localeCompare(b));
}
