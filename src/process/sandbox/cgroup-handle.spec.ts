import { describe, expect, it } from '@jest/globals';
import { InMemoryHostFs } from '../../../test/process/support/in-memory-host-fs.js';
import { CgroupHandle } from './cgroup-handle.js';

const DIR = '/sys/fs/cgroup/dss-x/srv-1';

describe('CgroupHandle.usage', () => {
  it('v2: memory.current and cpu.stat usage_usec of the whole tree', () => {
    const fs = new InMemoryHostFs()
      .file(`${DIR}/memory.current`, '73400320\n')
      .file(`${DIR}/cpu.stat`, 'usage_usec 2500000\nuser_usec 2000000\nsystem_usec 500000\n');
    const handle = new CgroupHandle('v2', [{ dir: DIR, controllers: ['memory'] }], fs, () => {});
    expect(handle.usage()).toEqual({ memoryBytes: 73400320, cpuSeconds: 2.5 });
  });

  it('undefined on v1 or when the files are missing (the caller falls back to /proc)', () => {
    const fs = new InMemoryHostFs().file(`${DIR}/memory.current`, '1');
    expect(new CgroupHandle('v2', [{ dir: DIR, controllers: [] }], fs, () => {}).usage()).toBe(
      undefined,
    );
    expect(
      new CgroupHandle('v1', [{ dir: DIR, controllers: ['memory'] }], fs, () => {}).usage(),
    ).toBeUndefined();
  });
});
