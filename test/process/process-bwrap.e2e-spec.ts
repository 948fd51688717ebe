// Invariant: under the bwrap driver a team's server sees only its own files, only the environment
// its config gave, none of the host's loopback ports, and the limits the machine can enforce kill
// or refuse what exceeds them (each part skips, with the probe's reason, where this machine can't).
import { checkoutUnreachableByTeams } from '../support/checkout-access.js';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { MEMORY } from '../support/upstreams.js';
import {
  callTool,
  createHarness,
  fixture,
  type Harness,
  newClient,
  processesWithMarker,
  stdioDef,
  textOf,
  waitFor,
} from './support/process-harness.js';
import { existsSync } from 'node:fs';
import { caTrustEnv, packageRunnerEnv } from '../../src/process/clean-env.js';
import type { SandboxReport } from '../../src/process/sandbox/sandbox-driver.js';

/** The package runners' cache and CA trust variables every server gets (clean-env.ts). */
const RUNNER_KEYS = [
  ...Object.keys(packageRunnerEnv('/')),
  ...Object.keys(caTrustEnv({}, existsSync)), // the harness passes none of its own
];

function probeBwrap(): { ok: boolean; reason?: string } {
  const unreachable = checkoutUnreachableByTeams();
  if (unreachable) return { ok: false, reason: unreachable };
  const which = spawnSync('sh', ['-c', 'command -v bwrap'], { encoding: 'utf8' });
  if (which.status !== 0)
    return { ok: false, reason: 'bwrap is not installed (apt-get install bubblewrap)' };
  const root = process.geteuid?.() === 0;
  const r = spawnSync(
    'bwrap',
    [
      ...(root ? [] : ['--unshare-user']),
      '--unshare-pid',
      '--unshare-net',
      '--ro-bind',
      '/',
      '/',
      '--',
      '/bin/true',
    ],
    { encoding: 'utf8' },
  );
  return r.status === 0
    ? { ok: true }
    : { ok: false, reason: `bwrap cannot create namespaces here: ${r.stderr.trim()}` };
}

const LIMITS = { memoryMb: 100, maxProcesses: 50, cpuCores: 1 };

/**
 * What this machine enforces under bwrap with the suite's limits, asked of a harness built like the
 * suite's before any test is declared, so that a limit it cannot enforce skips its test (with the
 * reason in the title) instead of passing without checking anything.
 */
async function probeLimits(): Promise<SandboxReport> {
  const h = await createHarness({ sandbox: 'bwrap', limits: LIMITS });
  try {
    return h.manager.sandboxReport();
  } finally {
    await h.close();
  }
}

const probe = probeBwrap();
const describeBwrap = probe.ok ? describe : describe.skip;
const report = probe.ok ? await probeLimits() : undefined;

/** `it` where the machine enforces `limit`; otherwise a skip whose title says why. */
function itEnforcing(limit: string): typeof it {
  if (report?.enforced.includes(limit)) return it;
  const reason =
    report?.notEnforced.find((g) => g.limit === limit)?.reason ??
    (report ? `${limit} is not enforced here` : (probe.reason ?? 'bwrap unavailable'));
  return ((title: string, fn: Parameters<typeof it>[1], timeout?: number) =>
    it.skip(`${title} [skipped: ${reason}]`, fn, timeout)) as typeof it;
}

describeBwrap(
  `bwrap sandbox (real namespaces, cgroups where writable)${probe.ok ? '' : ` [${probe.reason}]`}`,
  () => {
    let h: Harness;
    let port: number;
    let listener: Server;
    const teamA = stdioDef({
      id: 'tiny-a',
      args: [fixture('tiny-server.mjs')],
      team: 'team-a',
      env: { FOO: 'bar' },
    });
    const teamB = stdioDef({ id: 'tiny-b', args: [fixture('tiny-server.mjs')], team: 'team-b' });

    beforeAll(async () => {
      listener = createServer((s) => s.end());
      await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
      port = (listener.address() as { port: number }).port;
      h = await createHarness({ sandbox: 'bwrap', limits: LIMITS });
      await Promise.all([h.manager.start(teamA, newClient), h.manager.start(teamB, newClient)]);
    }, 30_000);

    afterAll(async () => {
      await h?.close();
      listener?.close();
    });

    it('reports the bwrap driver with its enforced limits on every process', () => {
      const report = h.manager.sandboxReport();
      expect(report.driver).toBe('bwrap');
      expect(report.enforced).toEqual(
        expect.arrayContaining([
          'namespaces',
          'no_network',
          'read_only_system',
          'process_group',
          'clean_env',
        ]),
      );
      expect(h.manager.get(teamA.id)!.sandbox).toEqual({
        driver: 'bwrap',
        enforced: report.enforced,
      });
    });

    it("team A can't read team B's file; team B can", async () => {
      const secret = join(h.dataDir, 'teams', 'team-b', 'secret.txt');
      expect(
        textOf(await callTool(h.manager, teamB.id, 'write_file', { path: secret, text: 'b-only' })),
      ).toBe('written');
      expect(textOf(await callTool(h.manager, teamB.id, 'read_file', { path: secret }))).toBe(
        'b-only',
      );
      const stolen = await callTool(h.manager, teamA.id, 'read_file', { path: secret });
      expect(stolen.isError).toBe(true);
      expect(textOf(stolen)).toMatch(/ENOENT|EACCES/);
      // Nor anything else of the data directory (credentials live there).
      expect(
        (
          await callTool(h.manager, teamA.id, 'read_file', {
            path: join(h.dataDir, 'run', 'process-groups'),
          })
        ).isError,
      ).toBe(true);
    });

    itEnforcing('team_uid')(
      'each team runs under its own host uid where the satellite is root',
      async () => {
        const a = JSON.parse(textOf(await callTool(h.manager, teamA.id, 'whoami'))) as {
          uid: number;
        };
        const b = JSON.parse(textOf(await callTool(h.manager, teamB.id, 'whoami'))) as {
          uid: number;
        };
        expect(a.uid).not.toBe(0);
        expect(b.uid).not.toBe(0);
        expect(a.uid).not.toBe(b.uid);
      },
    );

    it('the environment holds only what the config gave (bwrap adds PWD)', async () => {
      const env = JSON.parse(textOf(await callTool(h.manager, teamA.id, 'env'))) as Record<
        string,
        string
      >;
      expect(
        Object.keys(env)
          .filter((k) => k !== 'PWD')
          .sort(),
      ).toEqual(['FOO', 'HOME', 'LANG', 'PATH', 'TMPDIR', ...RUNNER_KEYS].sort());
    });

    it("the host's loopback ports are unreachable (the same call without a sandbox connects)", async () => {
      expect(textOf(await callTool(h.manager, teamA.id, 'connect', { port }))).toMatch(
        /^error (ECONNREFUSED|ENETUNREACH|EADDRNOTAVAIL)/,
      );
      const plain = await createHarness({ sandbox: 'none' });
      const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
      await plain.manager.start(def, newClient);
      expect(textOf(await callTool(plain.manager, def.id, 'connect', { port }))).toBe('connected');
      await plain.close();
    });

    itEnforcing('memory')(
      'a 200 MB allocation under the 100 MB memory cgroup is killed and reported as such',
      async () => {
        const def = stdioDef({ args: [fixture('memory-hog.mjs')], team: 'team-a' });
        await h.manager.start(def, newClient);
        expect(textOf(await callTool(h.manager, def.id, 'allocate', { mb: 20 }))).toBe(
          'allocated 20 MB',
        );
        const err = await callTool(h.manager, def.id, 'allocate', { mb: 200 }).catch(
          (e: unknown) => e,
        );
        expect(err).toMatchObject({ reason: 'exited_during_call' });
        expect((err as Error).message).toMatch(/OOM killer at the memory limit/);
        await waitFor('the memory limit event', () =>
          h
            .eventsOf('resource.limit.exceeded')
            .find((e) => e.data.server_id === def.id && e.data.limit === 'memory'),
        );
        // bwrap reports the inner SIGKILL as exit status 137.
        const crash = h
          .eventsOf('mcp.server.crashed')
          .find((e) => e.data.server_id === def.id)!.data;
        expect(crash.signal === 'SIGKILL' || crash.exit_code === 137).toBe(true);
        expect(h.manager.get(def.id)!.lastError).toMatch(/OOM killer/);
        await h.manager.remove(def.id);
      },
      30_000,
    );

    itEnforcing('pids')(
      'the process limit refuses a fork bomb',
      async () => {
        const def = stdioDef({ args: [fixture('fork-bomb.mjs')], team: 'team-a' });
        await h.manager.start(def, newClient);
        const result = JSON.parse(textOf(await callTool(h.manager, def.id, 'fork', { n: 80 }))) as {
          started: number;
          refused: number;
        };
        expect(result.started).toBeLessThan(50);
        expect(result.refused).toBeGreaterThan(0);
        await h.manager.remove(def.id);
        await waitFor('the pids limit event', () =>
          h
            .eventsOf('resource.limit.exceeded')
            .find((e) => e.data.server_id === def.id && e.data.limit === 'pids'),
        );
      },
      30_000,
    );

    it('a real npm server (server-memory) works in the sandbox and its tree is gone after removal', async () => {
      const marker = `bwrap-${process.pid}-${Date.now()}`;
      const home = join(h.dataDir, 'teams', 'team-b');
      const def = stdioDef({
        args: [MEMORY],
        team: 'team-b',
        env: { MEMORY_FILE_PATH: join(home, 'memory.jsonl'), BWRAP_MARKER: marker },
      });
      await h.manager.start(def, newClient);
      await callTool(h.manager, def.id, 'create_entities', {
        entities: [{ name: 'satellite', entityType: 'thing', observations: ['sandboxed'] }],
      });
      expect(textOf(await callTool(h.manager, def.id, 'read_graph'))).toContain('sandboxed');
      expect(processesWithMarker(marker).length).toBeGreaterThan(0);
      await h.manager.remove(def.id);
      expect(processesWithMarker(marker)).toEqual([]);
    }, 30_000);

    it('an argument naming another team directory is not exposed', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'unrelated-'));
      const def = stdioDef({
        args: [fixture('tiny-server.mjs'), join(h.dataDir, 'teams', 'team-b'), dir],
        team: 'team-a',
      });
      await h.manager.start(def, newClient);
      expect(
        (
          await callTool(h.manager, def.id, 'read_file', {
            path: join(h.dataDir, 'teams', 'team-b', 'secret.txt'),
          })
        ).isError,
      ).toBe(true);
      await h.manager.remove(def.id);
    }, 30_000);
  },
);
