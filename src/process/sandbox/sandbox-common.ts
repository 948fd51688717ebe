import type { CgroupManager } from './cgroup-manager.service.js';
import { joinCgroup } from './cgroup-join.js';
import type { SandboxLaunch, SandboxReport, SandboxRequest } from './sandbox-driver.js';
import type { SandboxMounts } from './sandbox-mounts.js';
import type { NetworkJail, SandboxNetwork } from './sandbox-network.js';

/** Why a driver cannot switch each team to its own host uid, or undefined when it can. */
export function teamUidGap(root: boolean, setpriv: string | undefined): string | undefined {
  if (!root)
    return 'the satellite is not root: servers keep its uid (inside a user namespace); teams are kept apart by mounts only';
  if (!setpriv) return 'setpriv (util-linux) not found: servers keep the satellite uid';
  return undefined;
}

/** The report shared by the namespace drivers: cgroup controllers as probed, rlimits, team uid. */
export function namespaceReport(input: {
  readonly driver: string;
  readonly cgroups: CgroupManager;
  readonly cpuTimeGap?: string;
  readonly teamUidGap?: string;
  /** Why servers with `network: egress` cannot run here (they are refused), if they cannot. */
  readonly egressGap?: string | undefined;
}): SandboxReport {
  const cg = input.cgroups.support();
  const enforced: string[] = ['namespaces', 'no_network', 'read_only_system', ...cg.controllers];
  if (!input.egressGap) enforced.push('egress_filter');
  if (!input.cpuTimeGap) enforced.push('cpu_time');
  if (!input.teamUidGap) enforced.push('team_uid');
  enforced.push('process_group', 'clean_env');
  const notEnforced: SandboxReport['notEnforced'] = cg.missing.map((m) => ({
    limit: m.controller,
    reason: m.reason,
  }));
  if (input.cpuTimeGap) notEnforced.push({ limit: 'cpu_time', reason: input.cpuTimeGap });
  if (input.teamUidGap) notEnforced.push({ limit: 'team_uid', reason: input.teamUidGap });
  if (input.egressGap)
    notEnforced.push({
      limit: 'egress_filter',
      reason: `${input.egressGap}; servers whose network is "egress" or an allow-list are refused`,
    });
  return { driver: input.driver, enforced, notEnforced };
}

/**
 * What the namespace drivers share around their own command line: the network jail (or none),
 * the cgroup joined before exec, the jail's launch script outermost, and cleanup of the jail
 * when anything fails on the way.
 */
export function jailedLaunch(input: {
  readonly req: SandboxRequest;
  readonly network: SandboxNetwork;
  readonly cgroups: CgroupManager;
  /** The sandbox tool (bwrap, nsjail) and its arguments, given the jail the sandbox starts in. */
  readonly tool: string;
  readonly args: (jail: NetworkJail | undefined) => string[];
  readonly env: Readonly<Record<string, string>>;
}): SandboxLaunch {
  const { req } = input;
  const jail = input.network.jail(req.network, req.name);
  try {
    const args = input.args(jail);
    const cgroup = input.cgroups.create(req.name, req.limits);
    const joined = joinCgroup(cgroup, input.tool, args);
    const outer = jail ? jail.wrap(joined.command, joined.args) : joined;
    return {
      ...outer,
      env: input.env,
      cwd: req.workspace.dir,
      ...(cgroup ? { cgroup } : {}),
      ...(jail ? { release: jail.release } : {}),
    };
  } catch (err) {
    jail?.release();
    throw err;
  }
}

/** The mount plan of a request (the jail's resolv.conf bound over the host's). */
export function planMounts(
  mounts: SandboxMounts,
  req: SandboxRequest,
  jail: Pick<NetworkJail, 'resolvConf'> | undefined,
): ReturnType<SandboxMounts['plan']> {
  return mounts.plan({
    command: req.command,
    args: req.args,
    pathDirs: (req.env.PATH ?? '').split(':'),
    ...(req.definitionCwd ? { definitionCwd: req.definitionCwd } : {}),
    teamDir: req.workspace.dir,
    ...(req.mounts ? { mounts: req.mounts } : {}),
    ...(jail ? { files: [{ source: jail.resolvConf, target: '/etc/resolv.conf' }] } : {}),
  });
}
