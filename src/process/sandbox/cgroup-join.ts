import type { CgroupHandle } from './cgroup-handle.js';

/**
 * Joins the cgroup before `exec` (docs/testing.md "Sandboxing"): a tiny shell writes its own pid to
 * each hierarchy's cgroup.procs, then execs the sandbox, so nothing is ever forked outside the
 * limits.
 */
const JOIN_SCRIPT =
  'while [ "$1" != -- ]; do echo $$ > "$1" || exit 125; shift; done; shift; exec "$@"';

export function joinCgroup(
  cgroup: CgroupHandle | undefined,
  command: string,
  args: readonly string[],
): { command: string; args: string[] } {
  if (!cgroup) return { command, args: [...args] };
  return {
    command: '/bin/sh',
    args: ['-c', JOIN_SCRIPT, 'cgroup-join', ...cgroup.procsFiles, '--', command, ...args],
  };
}
