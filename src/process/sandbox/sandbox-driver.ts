import type { NetworkSetting } from '../../config/network-setting.js';
import type { ResourceLimits } from '../../config/satellite-config.js';
import type { ExtraMount } from '../../config/server-definition.js';
import type { CgroupHandle } from './cgroup-handle.js';

export type SandboxDriverName = 'nsjail' | 'bwrap' | 'none';

/**
 * What a driver can enforce. Limits: `memory`, `cpu`, `pids`, `cpu_time`. Isolation: `namespaces`
 * (mount/pid/ipc/uts), `no_network` (own network namespace: no host loopback, no outside),
 * `egress_filter` (own network namespace with internet access, host and private ranges refused),
 * `read_only_system`, `team_uid` (each team runs under its own host uid). Always: `process_group`,
 * `clean_env`.
 */
export type SandboxFeature =
  | 'memory'
  | 'cpu'
  | 'pids'
  | 'cpu_time'
  | 'namespaces'
  | 'no_network'
  | 'egress_filter'
  | 'read_only_system'
  | 'team_uid'
  | 'process_group'
  | 'clean_env';

export interface SandboxReport {
  readonly driver: string;
  readonly enforced: string[];
  readonly notEnforced: Array<{ limit: string; reason: string }>;
}

/** The team's place on the host: its home (the only writable path in a sandbox) and identity. */
export interface TeamWorkspace {
  readonly team: string;
  readonly dir: string;
  readonly tmpDir: string;
  /** Set when servers of this team run under their own host uid/gid. */
  readonly uid?: number;
  readonly gid?: number;
}

export interface SandboxRequest {
  /** Unique per spawn: names the cgroup. */
  readonly name: string;
  /** Absolute path when it could be resolved on the sandbox PATH. */
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** The working directory inside the sandbox (the definition's cwd or the team directory). */
  readonly cwd: string;
  /** The definition's own cwd, bound read-only. */
  readonly definitionCwd?: string;
  readonly workspace: TeamWorkspace;
  readonly limits: ResourceLimits;
  /** The network in force for this server (its own setting, else the satellite's default). */
  readonly network: NetworkSetting;
  /** Host paths the definition exposes explicitly (`mounts`). */
  readonly mounts?: readonly ExtraMount[];
}

/** What to spawn on the host (the sandbox wrapper's command line) and what to clean up after. */
export interface SandboxLaunch {
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** Host working directory of the wrapper. */
  readonly cwd: string;
  readonly cgroup?: CgroupHandle;
  /** Frees what the sandbox holds outside the process tree (its network namespace); idempotent. */
  readonly release?: () => void;
}

/** A way to run a stdio server contained (style: several implementations earn the interface). */
export interface SandboxDriver {
  readonly name: SandboxDriverName;
  /** Whether servers run under their team's own host uid (the workspace is chowned to it). */
  readonly usesTeamUid: boolean;
  report(): SandboxReport;
  /** Builds the command line; may create the process's cgroup (released by the ChildRun). */
  prepare(req: SandboxRequest): SandboxLaunch;
}

export const LIMIT_FEATURES = ['memory', 'cpu', 'pids', 'cpu_time'] as const;
