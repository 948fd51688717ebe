import type { CgroupManager } from './cgroup-manager.service.js';
import type { SandboxReport } from './sandbox-driver.js';

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
