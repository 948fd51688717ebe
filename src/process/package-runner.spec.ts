import { describe, expect, it } from '@jest/globals';
import { installLimits, parseNpx, planRunner, runnerLimits } from './package-runner.js';

describe('package runners', () => {
  it('reads the npx forms people configure', () => {
    expect(parseNpx(['-y', '@modelcontextprotocol/server-memory'])).toEqual({
      specs: ['@modelcontextprotocol/server-memory'],
      pkg: '@modelcontextprotocol/server-memory',
      args: [],
    });
    expect(parseNpx(['mcp-remote@1.2.3', 'https://x', '--flag'])).toEqual({
      specs: ['mcp-remote@1.2.3'],
      pkg: 'mcp-remote',
      args: ['https://x', '--flag'],
    });
    expect(parseNpx(['--yes', '--package=@a/b@^2', 'b-cli', 'serve'])).toEqual({
      specs: ['@a/b@^2'],
      pkg: '@a/b',
      bin: 'b-cli',
      args: ['serve'],
    });
  });

  it('leaves to npx what it does not reproduce exactly', () => {
    expect(parseNpx(['github:user/repo'])).toBeUndefined();
    expect(parseNpx(['--registry', 'https://r', 'pkg'])).toBeUndefined();
    expect(parseNpx(['./local.tgz'])).toBeUndefined();
    expect(parseNpx([])).toBeUndefined();
  });

  it('plans an install step once per team, and markers for the runners it does not drive', () => {
    const seen = new Set<string>();
    const plan = (command: string, args: string[]) =>
      planRunner({ command, args, teamDir: '/d/teams/a', exists: (p) => seen.has(p) });
    const npx = plan('/usr/bin/npx', ['-y', 'pkg@1']);
    expect(npx.command).toBe('/bin/sh');
    expect(npx.installing).toBe(true);
    const dir = npx.args[3];
    expect(dir).toMatch(/^\/d\/teams\/a\/\.satellite\/npx\/[0-9a-f]{16}$/);
    seen.add(`${dir}/.installed`);
    expect(plan('/usr/bin/npx', ['-y', 'pkg@1']).installing).toBe(false);

    const uvx = plan('/usr/local/bin/uvx', ['mcp-server-fetch']);
    expect(uvx).toMatchObject({ command: '/usr/local/bin/uvx', installing: true });
    seen.add(uvx.marker as string);
    expect(plan('/usr/local/bin/uvx', ['mcp-server-fetch']).installing).toBe(false);
    expect(plan('/usr/bin/node', ['server.js'])).toEqual({
      command: '/usr/bin/node',
      args: ['server.js'],
      installing: false,
    });
  });

  it('gives a resident runner (uvx, npx itself) room beside its server, not the install step', () => {
    const limits = { memoryMb: 100, cpuCores: 0.1, maxProcesses: 50, cpuSeconds: 60 };
    const exists = () => false;
    const uvx = planRunner({ command: 'uvx', args: ['x'], teamDir: '/t', exists });
    const npx = planRunner({ command: 'npx', args: ['-y', 'x'], teamDir: '/t', exists });
    expect(runnerLimits(limits, uvx).memoryMb).toBe(228);
    expect(runnerLimits(limits, npx)).toEqual(limits);
  });

  it('raises memory, CPU and processes while installing, never lowers them', () => {
    expect(
      installLimits({ memoryMb: 100, cpuCores: 0.1, maxProcesses: 50, cpuSeconds: 60 }),
    ).toEqual({ memoryMb: 1024, cpuCores: 1, maxProcesses: 256, cpuSeconds: 60 });
    expect(
      installLimits({ memoryMb: 4096, cpuCores: 2, maxProcesses: 500, cpuSeconds: 9 }),
    ).toEqual({ memoryMb: 4096, cpuCores: 2, maxProcesses: 500, cpuSeconds: 9 });
  });
});
