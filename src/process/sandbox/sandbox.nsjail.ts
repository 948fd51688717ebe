import type { CgroupManager } from './cgroup-manager.service.js';
import type {
  SandboxDriver,
  SandboxLaunch,
  SandboxReport,
  SandboxRequest,
} from './sandbox-driver.js';
import { jailedLaunch, namespaceReport, planMounts, teamUidGap } from './sandbox-common.js';
import type { SandboxMounts } from './sandbox-mounts.js';
import type { NetworkJail, SandboxNetwork } from './sandbox-network.js';

export interface NsjailTools {
  readonly nsjail: string;
  /** The satellite runs as root: nsjail maps each team to its own host uid. */
  readonly root: boolean;
}

/**
 * nsjail (docs/process.md "nsjail driver (production)"), in "once" mode with stdio passed
 * through.
 * Every rlimit is explicit because nsjail's defaults break Node servers (RLIMIT_AS 4 GiB is below
 * what V8 reserves at start, RLIMIT_FSIZE 1 MiB, RLIMIT_NOFILE 32) and its default 600 s wall
 * time limit would kill a long-lived server. `--skip_setsid` keeps the jail in the satellite's
 * process group (there is no terminal, so the TIOCSTI concern behind setsid does not apply).
 * Memory/cpu/pids come from the same satellite-made cgroup as with bwrap (joined before exec),
 * so OOM kills are detected and reported the same way.
 */
export class NsjailSandbox implements SandboxDriver {
  readonly name = 'nsjail' as const;
  readonly usesTeamUid: boolean;

  constructor(
    private readonly tools: NsjailTools,
    private readonly cgroups: CgroupManager,
    private readonly mounts: SandboxMounts,
    private readonly network: SandboxNetwork,
  ) {
    this.usesTeamUid = tools.root;
  }

  report(): SandboxReport {
    return namespaceReport({
      driver: this.name,
      cgroups: this.cgroups,
      egressGap: this.network.unavailable(),
      ...(this.usesTeamUid ? {} : { teamUidGap: teamUidGap(false, undefined) }),
    });
  }

  prepare(req: SandboxRequest): SandboxLaunch {
    return jailedLaunch({
      req,
      network: this.network,
      cgroups: this.cgroups,
      tool: this.tools.nsjail,
      // nsjail starts the jail with an empty environment; the clean one goes in as --env.
      env: {},
      args: (jail) => this.args(req, jail),
    });
  }

  /** The nsjail command line (pinned by a golden test against docs/process.md). */
  args(req: SandboxRequest, jail?: Pick<NetworkJail, 'resolvConf'>): string[] {
    const plan = planMounts(this.mounts, req, jail);
    const { uid, gid } = req.workspace;
    // prettier-ignore
    const args = [
      '--mode', 'o',
      '--quiet',
      '--time_limit', '0',
      '--skip_setsid',
      '--hostname', 'mcp-sandbox',
      // With a network jail nsjail starts inside the jail's namespace: no new one.
      ...(jail ? ['--disable_clone_newnet'] : []),
      '--rlimit_as', 'max',
      '--rlimit_cpu', String(req.limits.cpuSeconds),
      '--rlimit_fsize', 'max',
      '--rlimit_nofile', 'max',
      '--rlimit_nproc', 'max',
      '--rlimit_stack', 'max',
      '--rlimit_core', '0',
      ...(this.usesTeamUid && uid !== undefined && gid !== undefined
        ? ['--user', `${uid}:${uid}:1`, '--group', `${gid}:${gid}:1`]
        : []),
      '--cwd', req.cwd,
      // nsjail starts the jail with an empty environment: pass exactly the clean one.
      ...Object.entries(req.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]),
      '--tmpfsmount', '/tmp',
      '--bindmount', '/dev/null',
      '--bindmount', '/dev/zero',
      '--bindmount_ro', '/dev/random',
      '--bindmount_ro', '/dev/urandom',
    ];
    for (const p of plan.readOnly) args.push('--bindmount_ro', p);
    for (const f of plan.files) args.push('--bindmount_ro', `${f.source}:${f.target}`);
    for (const s of plan.symlinks) args.push('--symlink', `${s.target}:${s.path}`);
    for (const p of plan.writable) args.push('--bindmount', p);
    return [...args, '--', req.command, ...req.args];
  }
}
