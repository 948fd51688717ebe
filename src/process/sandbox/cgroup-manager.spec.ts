import { describe, expect, it, jest } from '@jest/globals';
import { InMemoryHostFs } from '../../../test/process/support/in-memory-host-fs.js';
import { SatelliteConfig } from '../../config/satellite-config.js';
import { ProcessSpawner } from '../process-spawner.js';
import { ProcTable } from '../proc-table.js';
import { CgroupManager, parseSelfCgroup } from './cgroup-manager.service.js';

const LIMITS = { memoryMb: 100, cpuCores: 0.1, maxProcesses: 50, cpuSeconds: 60 };
const config = Object.assign(new SatelliteConfig(), { dataDir: '/data' });

function manager(fs: InMemoryHostFs) {
  const spawner = new ProcessSpawner(new ProcTable());
  const kill = jest.spyOn(spawner, 'signalProcess').mockImplementation(() => undefined);
  return { cg: new CgroupManager(fs, spawner, config), kill };
}

/** This CI machine's layout: hybrid, v1 memory/pids/cpu writable, v2 with hugetlb only. */
function hybridHost() {
  return new InMemoryHostFs()
    .file('/proc/self/cgroup', '9:name=systemd:/\n8:pids:/\n4:memory:/job/42\n1:cpu:/\n0::/\n')
    .dir('/sys/fs/cgroup/memory/job/42', '/sys/fs/cgroup/pids', '/sys/fs/cgroup/cpu')
    .file('/sys/fs/cgroup/unified/cgroup.controllers', 'hugetlb\n')
    .file('/sys/fs/cgroup/unified/cgroup.subtree_control', '');
}

/** A production-like host: pure cgroup v2, delegated, the satellite in /app.service. */
function v2Host() {
  return new InMemoryHostFs()
    .file('/proc/self/cgroup', '0::/app.service\n')
    .file('/sys/fs/cgroup/cgroup.controllers', 'cpuset cpu io memory pids\n')
    .file('/sys/fs/cgroup/app.service/cgroup.controllers', 'cpu memory pids\n')
    .file('/sys/fs/cgroup/app.service/cgroup.procs', '77\n')
    .file('/sys/fs/cgroup/app.service/cgroup.subtree_control', '');
}

describe('CgroupManager', () => {
  it('parses /proc/self/cgroup for both versions', () => {
    expect(parseSelfCgroup('4:memory:/a\n3:cpu,cpuacct:/b\n0::/c\n')).toEqual({
      v2: '/c',
      v1: new Map([
        ['memory', '/a'],
        ['cpu', '/b'],
        ['cpuacct', '/b'],
      ]),
    });
  });

  it('v1: one cgroup per hierarchy under a tag named after the data directory, with the limits written', () => {
    const fs = hybridHost();
    const { cg } = manager(fs);
    expect(cg.support()).toMatchObject({ version: 'v1', controllers: ['memory', 'pids', 'cpu'] });
    const handle = cg.create('srv.1', LIMITS)!;
    const mem = `/sys/fs/cgroup/memory/job/42/${cg.tag}/srv.1`;
    expect(handle.procsFiles).toEqual([
      `${mem}/cgroup.procs`,
      `/sys/fs/cgroup/pids/${cg.tag}/srv.1/cgroup.procs`,
      `/sys/fs/cgroup/cpu/${cg.tag}/srv.1/cgroup.procs`,
    ]);
    expect(fs.read(`${mem}/memory.limit_in_bytes`)).toBe(String(100 * 1024 * 1024));
    expect(fs.read(`/sys/fs/cgroup/pids/${cg.tag}/srv.1/pids.max`)).toBe('50');
    expect(fs.read(`/sys/fs/cgroup/cpu/${cg.tag}/srv.1/cpu.cfs_quota_us`)).toBe('10000');
    expect(fs.read(`/sys/fs/cgroup/cpu/${cg.tag}/srv.1/cpu.cfs_period_us`)).toBe('100000');
  });

  it('reads OOM kills and refused forks after the run, kills what is left, removes the directories', () => {
    const fs = hybridHost();
    const { cg, kill } = manager(fs);
    const handle = cg.create('srv.2', LIMITS)!;
    const mem = `/sys/fs/cgroup/memory/job/42/${cg.tag}/srv.2`;
    fs.file(`${mem}/memory.oom_control`, 'oom_kill_disable 0\nunder_oom 0\noom_kill 1\n');
    fs.file(`/sys/fs/cgroup/pids/${cg.tag}/srv.2/pids.events`, 'max 3\n');
    expect(handle.limitHits().map((h) => h.limit)).toEqual(['memory', 'pids']);
    fs.file(`${mem}/cgroup.procs`, '101\n102\n');
    handle.killAll();
    expect(kill.mock.calls).toEqual([
      [101, 'SIGKILL'],
      [102, 'SIGKILL'],
    ]);
    expect(handle.remove()).toBe(true);
    expect(fs.exists(mem)).toBe(false);
  });

  it('v2: delegates the controllers, moving the satellite into a leaf when its cgroup holds processes', () => {
    const fs = v2Host();
    const base = '/sys/fs/cgroup/app.service';
    // The kernel refuses subtree_control while the cgroup holds processes ("no internal processes").
    let moved = false;
    const write = fs.write.bind(fs);
    fs.write = (path: string, data: string) => {
      if (path === `${base}/cgroup.subtree_control` && !moved)
        throw Object.assign(new Error('EBUSY'), { code: 'EBUSY' });
      if (path === `${base}/satellite/cgroup.procs`) moved = true;
      write(path, data);
    };
    const { cg } = manager(fs);
    expect(cg.support()).toMatchObject({ version: 'v2', controllers: ['memory', 'pids', 'cpu'] });
    const handle = cg.create('srv.3', LIMITS)!;
    expect(fs.read(`${base}/satellite/cgroup.procs`)).toBe('77');
    expect(fs.read(`${base}/cgroup.subtree_control`)).toBe('+memory +pids +cpu');
    expect(fs.read(`${base}/${cg.tag}/cgroup.subtree_control`)).toBe('+memory +pids +cpu');
    expect(handle.procsFiles).toEqual([`${base}/${cg.tag}/srv.3/cgroup.procs`]);
    expect(fs.read(`${base}/${cg.tag}/srv.3/memory.max`)).toBe(String(100 * 1024 * 1024));
    expect(fs.read(`${base}/${cg.tag}/srv.3/cpu.max`)).toBe('10000 100000');
    fs.file(`${base}/${cg.tag}/srv.3/memory.events`, 'low 0\nhigh 0\nmax 4\noom 1\noom_kill 1\n');
    expect(handle.limitHits()).toEqual([
      { limit: 'memory', detail: expect.stringMatching(/OOM killer/) },
    ]);
  });

  it('reports every limit as missing, with reasons, where no cgroup is usable', () => {
    const fs = new InMemoryHostFs().file('/proc/self/cgroup', '0::/\n');
    const { cg } = manager(fs);
    expect(cg.support().version).toBeUndefined();
    expect(cg.support().missing.map((m) => m.controller)).toEqual(['memory', 'pids', 'cpu']);
    expect(cg.create('x', LIMITS)).toBeUndefined();
  });

  it('sweeps the leftovers of a previous run and creates nothing on a clean host', async () => {
    const fs = hybridHost();
    const { cg, kill } = manager(fs);
    expect(await cg.sweep(() => Promise.resolve())).toBe(0);
    expect(fs.exists(`/sys/fs/cgroup/pids/${cg.tag}`)).toBe(false);
    fs.file(`/sys/fs/cgroup/pids/${cg.tag}/old.1/cgroup.procs`, '555\n');
    expect(await cg.sweep(() => Promise.resolve())).toBe(1);
    expect(kill).toHaveBeenCalledWith(555, 'SIGKILL');
    expect(fs.exists(`/sys/fs/cgroup/pids/${cg.tag}`)).toBe(false);
  });
});
