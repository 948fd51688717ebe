import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { closedFolder, describeExit, sandboxHint } from './exit-description.js';

describe('describeExit', () => {
  it('says which limit a SIGXCPU is, and keeps a plain exit plain', () => {
    expect(
      describeExit({
        code: null,
        signal: 'SIGXCPU',
        uptimeMs: 1,
        requested: false,
        stderrTail: [],
      }),
    ).toBe(
      'the server used up its CPU time limit (DEPLOYSTACK_LIMIT_CPU_SECONDS) (killed by SIGXCPU)',
    );
    expect(
      describeExit({ code: 1, signal: null, uptimeMs: 1, requested: false, stderrTail: [] }),
    ).toBe('the process exited (exit code 1)');
  });
});

describe('sandboxHint', () => {
  it('names the network setting for an address the policy refuses, not for a public one', () => {
    expect(sandboxHint(['Error: connect EACCES 10.1.2.3:5432'])).toMatch(
      /refuses 10\.1\.2\.3.*"allow": \["10\.1\.2\.3:5432"\], "egress": true/,
    );
    expect(sandboxHint(['Error: connect ECONNREFUSED 93.184.216.34:443'])).toBeUndefined();
  });

  it('points at "network" for names that do not resolve, and at "mounts" for missing paths', () => {
    expect(sandboxHint(['Error: getaddrinfo EAI_AGAIN api.example.com'])).toMatch(/"none"/);
    expect(
      sandboxHint(["Error: ENOENT: no such file or directory, open '/srv/data/models.json'"]),
    ).toMatch(/\/srv\/data\/models\.json .*"mounts"/);
    expect(sandboxHint(['all fine'])).toBeUndefined();
  });
});

describe('a path the host has but the team user cannot reach', () => {
  const root = mkdtempSync(join(tmpdir(), 'closed-folder-'));
  chmodSync(root, 0o755);
  const closed = join(root, 'checkout');
  mkdirSync(join(closed, 'server'), { recursive: true });
  const script = join(closed, 'server', 'index.js');
  writeFileSync(script, '');
  chmodSync(closed, 0o700);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('names the folder that lets no other user through, for ENOENT and EACCES alike', () => {
    expect(closedFolder(script)).toEqual({ folder: closed, mode: '0700' });
    for (const line of [
      `Error: Cannot find module '${script}'`,
      `Error: EACCES: permission denied, open '${script}'`,
    ]) {
      const hint = sandboxHint([line]);
      expect(hint).toContain(`its folder ${closed} (mode 0700)`);
      expect(hint).toContain(`chmod o+x ${closed}`);
      expect(hint).not.toContain('"mounts"');
    }
  });

  it('keeps the "mounts" hint when every folder on the way is open', () => {
    chmodSync(closed, 0o755);
    expect(closedFolder(script)).toBeUndefined();
    expect(sandboxHint([`Error: Cannot find module '${script}'`])).toMatch(/"mounts"/);
    chmodSync(closed, 0o700);
  });
});
