import { describe, expect, it } from '@jest/globals';
import { InMemoryHostFs } from '../../test/process/support/in-memory-host-fs.js';
import { cleanEnv, packageRunnerEnv, resolveCommand, SYSTEM_PATH } from './clean-env.js';
import { dirName } from './team-workspaces.service.js';

describe('cleanEnv', () => {
  it('holds PATH (satellite Node first), HOME, TMPDIR, LANG, package caches in HOME and the definition env, nothing else', () => {
    expect(
      cleanEnv({
        nodeBinDir: '/opt/node/bin',
        home: '/data/teams/a',
        tmpDir: '/data/teams/a/.tmp',
        defEnv: { API_KEY: 'k' },
      }),
    ).toEqual({
      PATH: `/opt/node/bin:${SYSTEM_PATH}`,
      HOME: '/data/teams/a',
      TMPDIR: '/data/teams/a/.tmp',
      LANG: 'C.UTF-8',
      ...packageRunnerEnv('/data/teams/a'),
      API_KEY: 'k',
    });
    expect(Object.values(packageRunnerEnv('/h')).filter((v) => v.startsWith('/'))).toEqual(
      Object.values(packageRunnerEnv('/h')).filter((v) => v.startsWith('/h/')),
    );
  });
});

describe('resolveCommand', () => {
  const fs = new InMemoryHostFs().file('/usr/bin/npx').link('/opt/node/bin/node', 'node-24');
  it('finds bare names on PATH in order, resolves relative paths against cwd, keeps unknown names', () => {
    expect(resolveCommand('node', '/opt/node/bin:/usr/bin', '/w', fs)).toBe('/opt/node/bin/node');
    expect(resolveCommand('npx', '/opt/node/bin:/usr/bin', '/w', fs)).toBe('/usr/bin/npx');
    expect(resolveCommand('./server.sh', '/usr/bin', '/w/srv', fs)).toBe('/w/srv/server.sh');
    expect(resolveCommand('uvx', '/usr/bin', '/w', fs)).toBe('uvx');
  });
});

describe('team directory names', () => {
  it('keeps plain ids and makes anything else safe and distinct', () => {
    expect(dirName('team-a')).toBe('team-a');
    const tricky = ['../etc', 'a/b', 'a_b', '.hidden', ''].map(dirName);
    for (const n of tricky) expect(n).toMatch(/^[~A-Za-z0-9_][A-Za-z0-9_.-]*$/);
    expect(new Set(tricky).size).toBe(tricky.length);
    expect(dirName('a/b')).not.toBe(dirName('a_b'));
  });
});
