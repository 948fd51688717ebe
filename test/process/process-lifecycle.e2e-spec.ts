// Invariant: a stdio server that crashes comes back (until it crashes too often), an in-flight call
// to a dying server fails at once, an idle server is parked and respawned once on demand, and a
// hostile server (hung handshake, endless line, garbage, stderr flood) is contained.
import { afterEach, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import { ProcessUnavailableError } from '../../src/process/process-manager.service.js';
import { EVERYTHING } from '../support/upstreams.js';
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

/** The package runners' cache and CA trust variables every server gets (clean-env.ts). */
const RUNNER_KEYS = [
  ...Object.keys(packageRunnerEnv('/')),
  ...Object.keys(caTrustEnv({}, existsSync)), // the harness passes none of its own
];

const FAST_RESTARTS = { restartBackoff: { baseMs: 100, maxMs: 100, minMs: 100 } };

describe('process lifecycle (none driver, real child processes)', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('kill -9 mid-call: the caller gets an error within 2 s, the server is back and the next call succeeds', async () => {
    h = await createHarness({ tuning: FAST_RESTARTS });
    const def = stdioDef({ args: [EVERYTHING, 'stdio'] });
    await h.manager.start(def, newClient);
    const pid = h.manager.get(def.id)!.pid!;

    const call = callTool(
      h.manager,
      def.id,
      'trigger-long-running-operation',
      { duration: 30, steps: 3 },
      60_000,
    );
    const failed = call.then(
      () => undefined,
      (err: unknown) => err,
    );
    await waitFor('the call to be in flight', () => h!.manager.get(def.id)!.inFlight === 1);
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    const err = await failed;
    expect(Date.now() - killedAt).toBeLessThan(2000);
    expect(err).toBeInstanceOf(ProcessUnavailableError);
    expect((err as ProcessUnavailableError).reason).toBe('exited_during_call');
    expect((err as Error).message).toMatch(/exited during the call \(.*SIGKILL.*\).*retry/);

    const again = await callTool(h.manager, def.id, 'echo', { message: 'back' });
    expect(textOf(again)).toBe('Echo: back');
    const info = h.manager.get(def.id)!;
    expect(info).toMatchObject({ state: 'running', restarts: 1, crashesInWindow: 1 });
    expect(info.pid).not.toBe(pid);
    const crash = h.eventsOf('mcp.server.crashed')[0].data;
    expect(crash).toMatchObject({
      server_id: def.id,
      process_id: pid,
      signal: 'SIGKILL',
      crash_count: 1,
      will_restart: true,
    });
    expect(h.eventsOf('mcp.server.restarted').map((e) => e.data.restart_count)).toEqual([1]);
  }, 30_000);

  it('4 crashes in a row → permanently_failed, reported, no more restarts; an operator restart revives it', async () => {
    h = await createHarness({ tuning: FAST_RESTARTS });
    const def = stdioDef({ args: [fixture('crash-on-call.mjs')] });
    await h.manager.start(def, newClient);
    for (let i = 1; i <= 4; i++) {
      await expect(callTool(h.manager, def.id, 'crash')).rejects.toMatchObject({
        reason: 'exited_during_call',
      });
      await waitFor(
        `crash ${i} to be recorded`,
        () => h!.eventsOf('mcp.server.crashed').length === i,
      );
    }
    expect(h.manager.get(def.id)).toMatchObject({
      state: 'permanently_failed',
      restarts: 3,
      crashesInWindow: 4,
    });
    expect(h.manager.get(def.id)!.lastError).toMatch(
      /exit code 3.*crash-on-call: exiting on purpose/,
    );
    expect(h.eventsOf('mcp.server.crashed').map((e) => e.data.will_restart)).toEqual([
      true,
      true,
      true,
      false,
    ]);
    expect(h.eventsOf('mcp.server.permanently_failed')[0].data).toMatchObject({
      server_id: def.id,
      crash_count: 4,
    });
    expect(h.eventsOf('mcp.server.status_changed').at(-1)!.data.status).toBe('permanently_failed');

    // Refused at once, not after waiting for the call's timeout (60 s here) or a restart: the
    // bound is a tenth of that timeout, so a loaded machine cannot fail it, and no process starts.
    const started = Date.now();
    const err = await callTool(h.manager, def.id, 'crash', {}, 60_000).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(6_000);
    expect(err).toMatchObject({ reason: 'permanently_failed' });
    expect(h.manager.get(def.id)).toMatchObject({ state: 'permanently_failed' });
    expect((err as Error).message).toMatch(/permanently failed .*operator must restart it/);
    await new Promise((r) => setTimeout(r, 400)); // well past every backoff: nothing restarts
    expect(h.eventsOf('mcp.server.restarted')).toHaveLength(3);

    await h.manager.restart(def.id);
    expect(h.manager.get(def.id)).toMatchObject({
      state: 'running',
      restarts: 4,
      crashesInWindow: 0,
    });
  }, 30_000);

  it('idle → dormant (process stopped) → the next call respawns it', async () => {
    h = await createHarness({ idleTimeoutMs: 1000 });
    const marker = `IDLE_MARKER=${process.pid}-${Date.now()}`;
    const def = stdioDef({
      args: [fixture('tiny-server.mjs')],
      env: { IDLE_MARKER: marker.split('=')[1] },
    });
    await h.manager.start(def, newClient);
    expect(textOf(await callTool(h.manager, def.id, 'echo', { message: 1 }))).toBe('Echo: 1');

    await h.manager.reapIdle(Date.now() + 500); // not idle long enough yet
    expect(h.manager.get(def.id)!.state).toBe('running');
    await h.manager.reapIdle(Date.now() + 1500);
    expect(h.manager.get(def.id)).toMatchObject({ state: 'dormant' });
    expect(h.manager.get(def.id)!.pid).toBeUndefined();
    expect(processesWithMarker(marker)).toEqual([]);
    expect(h.eventsOf('mcp.server.dormant')).toHaveLength(1);

    expect(textOf(await callTool(h.manager, def.id, 'echo', { message: 2 }))).toBe('Echo: 2');
    expect(h.manager.get(def.id)).toMatchObject({ state: 'running', restarts: 0 });
    expect(h.eventsOf('mcp.server.respawned')).toHaveLength(1);
  }, 30_000);

  it('20 concurrent calls to a dormant server spawn it once; an in-flight call keeps it awake', async () => {
    h = await createHarness({ idleTimeoutMs: 1000 });
    const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
    await h.manager.start(def, newClient);
    await h.manager.reapIdle(Date.now() + 5000);
    expect(h.manager.get(def.id)!.state).toBe('dormant');

    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => callTool(h!.manager, def.id, 'echo', { message: i })),
    );
    expect(results.map(textOf)).toEqual(Array.from({ length: 20 }, (_, i) => `Echo: ${i}`));
    expect(h.eventsOf('mcp.server.respawned')).toHaveLength(1);
    expect(h.eventsOf('mcp.server.started')).toHaveLength(1);

    const slow = callTool(h.manager, def.id, 'slow', { ms: 300 });
    await waitFor('in flight', () => h!.manager.get(def.id)!.inFlight === 1);
    await h.manager.reapIdle(Date.now() + 60_000);
    expect(h.manager.get(def.id)!.state).toBe('running');
    expect(textOf(await slow)).toBe('done');
  }, 30_000);

  it('a server that never answers initialize fails the handshake timeout with a clear error, and its process is gone', async () => {
    h = await createHarness({
      handshakeTimeoutMs: 500,
      tuning: { restartBackoff: { baseMs: 60_000, maxMs: 60_000, minMs: 60_000 } },
    });
    const marker = `HANG_${process.pid}_${Date.now()}`;
    const def = stdioDef({ args: [fixture('never-initialize.mjs')], env: { HANG_MARKER: marker } });
    const started = Date.now();
    const err = await h.manager.start(def, newClient).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(err).toMatchObject({ reason: 'start_failed' });
    expect((err as Error).message).toMatch(
      /no answer to "initialize" within 500 ms; last stderr: never-initialize: waiting forever/,
    );
    expect(h.manager.get(def.id)).toMatchObject({ state: 'restarting', crashesInWindow: 1 });
    await waitFor('the hung process to be killed', () => processesWithMarker(marker).length === 0);
  }, 30_000);

  it('an endless stdout line is capped: the process is killed and reported, the satellite memory stays bounded', async () => {
    h = await createHarness({
      tuning: {
        maxLineBytes: 1024 * 1024,
        restartBackoff: { baseMs: 60_000, maxMs: 60_000, minMs: 60_000 },
      },
    });
    const def = stdioDef({ args: [fixture('endless-line.mjs')] });
    await h.manager.start(def, newClient);
    const rssBefore = process.memoryUsage().rss;
    const err = await callTool(h.manager, def.id, 'flood').catch((e: unknown) => e);
    expect(err).toMatchObject({ reason: 'exited_during_call' });
    expect((err as Error).message).toMatch(/stdout line exceeded 1048576 bytes/);
    expect(h.eventsOf('resource.limit.exceeded').map((e) => e.data)).toEqual([
      expect.objectContaining({ server_id: def.id, limit: 'stdout_line' }),
    ]);
    expect(h.manager.get(def.id)!.state).toBe('restarting');
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  }, 30_000);

  it('garbage on stdout is reported, not fatal; stderr is rate-limited into mcp.server.logs', async () => {
    h = await createHarness({
      tuning: { stderrBurst: 20, stderrLinesPerSecond: 1, logFlushMs: 50 },
    });
    const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
    await h.manager.start(def, newClient);
    expect(textOf(await callTool(h.manager, def.id, 'garbage'))).toBe('still alive');
    expect(h.manager.get(def.id)!.state).toBe('running');

    expect(textOf(await callTool(h.manager, def.id, 'stderr', { lines: 500 }))).toBe('written');
    await h.manager.remove(def.id);
    const entries = h.eventsOf('mcp.server.logs').flatMap((e) => e.data.logs);
    expect(entries.filter((e) => e.message.startsWith('stderr line')).length).toBeLessThanOrEqual(
      22,
    );
    expect(entries.at(-1)).toMatchObject({
      level: 'warn',
      message: expect.stringMatching(/^\d+ stderr line\(s\) dropped by the rate limit/),
    });
    expect(h.eventsOf('mcp.server.logs')[0].data).toMatchObject({
      installation_id: def.id,
      team_id: 'team-a',
    });
  }, 30_000);

  it('the environment is clean: only PATH, HOME, TMPDIR, LANG and the definition env', async () => {
    process.env.SATELLITE_TEST_SECRET = 'must-not-leak';
    h = await createHarness();
    const def = stdioDef({
      args: [fixture('tiny-server.mjs')],
      env: { FOO: 'bar' },
      team: 'team-x',
    });
    await h.manager.start(def, newClient);
    const env = JSON.parse(textOf(await callTool(h.manager, def.id, 'env'))) as Record<
      string,
      string
    >;
    delete process.env.SATELLITE_TEST_SECRET;
    expect(Object.keys(env).sort()).toEqual(
      ['FOO', 'HOME', 'LANG', 'PATH', 'TMPDIR', ...RUNNER_KEYS].sort(),
    );
    expect(env.HOME).toBe(resolve(h.dataDir, 'teams', 'team-x'));
    expect(env.TMPDIR).toBe(resolve(h.dataDir, 'teams', 'team-x', '.tmp'));
  }, 30_000);

  it('unknown ids and a refused sandbox answer ProcessUnavailableError with an actionable message', async () => {
    h = await createHarness({ env: 'production', sandbox: 'none', allowUnsandboxed: false });
    await expect(callTool(h.manager, 'nope', 'echo')).rejects.toMatchObject({
      reason: 'unknown_server',
      name: 'ProcessUnavailableError',
    });
    expect(h.manager.sandboxReport()).toMatchObject({ driver: 'refused', enforced: [] });
    const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
    const err = await h.manager.start(def, newClient).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(
      /without a sandbox is refused.*DEPLOYSTACK_ALLOW_UNSANDBOXED=true/,
    );
    expect(h.manager.get(def.id)!.state).toBe('permanently_failed');
    await expect(callTool(h.manager, def.id, 'echo')).rejects.toMatchObject({
      reason: 'permanently_failed',
    });
  }, 30_000);
});
