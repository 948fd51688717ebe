import { describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { FakeLauncher } from '../../test/process/support/fake-children.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import type { StdioServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { SatelliteEvent } from '../events/event-map.js';
import { LifecycleReporter } from './lifecycle-reporter.service.js';
import { ProcessSupervisor } from './process-supervisor.js';
import { ProcessTuning } from './process-tuning.js';

const def: StdioServerDefinition = {
  id: 'srv',
  slug: 'srv',
  team: 't',
  enabled: true,
  secrets: [],
  transport: 'stdio',
  command: 'x',
  args: [],
  env: {},
};

function setup(over: { handshakeTimeoutMs?: number; idleTimeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const tuning = ProcessTuning.with({ restartJitter: () => 1, exitDrainMs: 0 });
  const launcher = new FakeLauncher(clock, tuning);
  const bus = new EventBusService();
  const events: SatelliteEvent[] = [];
  bus.subscribe((e) => events.push(e));
  const sup = new ProcessSupervisor({
    def,
    createClient: () => new Client({ name: 't', version: '1' }),
    launcher,
    reporter: new LifecycleReporter(bus),
    clock,
    tuning,
    handshakeTimeoutMs: over.handshakeTimeoutMs ?? 2000,
    idleTimeoutMs: over.idleTimeoutMs ?? 60_000,
    limits: { memoryMb: 100, cpuCores: 0.1, maxProcesses: 50, cpuSeconds: 60 },
    sandbox: () => ({ driver: 'fake', enforced: [] }),
  });
  const call = (name = 'echo') =>
    sup
      .withClient((c) =>
        c.request({ method: 'tools/call', params: { name, arguments: {} } }, CallToolResultSchema),
      )
      .then((r) => (r.content[0] as { text: string }).text);
  const types = () => events.map((e) => e.type);
  return { clock, launcher, sup, events, call, types };
}

const settle = async (until: () => boolean) => {
  for (let i = 0; i < 200 && !until(); i++) await new Promise((r) => setImmediate(r));
  if (!until()) throw new Error('condition never became true');
};

describe('ProcessSupervisor', () => {
  it('starts: starting → running, with the started event and the info the debug route shows', async () => {
    const { sup, call, events } = setup();
    await sup.start();
    expect(await call()).toBe('pid 1001');
    expect(sup.info()).toMatchObject({
      id: 'srv',
      state: 'running',
      pid: 1001,
      restarts: 0,
      crashesInWindow: 0,
      inFlight: 0,
      sandbox: { driver: 'fake' },
    });
    await settle(() => events.some((e) => e.type === 'mcp.server.started'));
    expect(events.find((e) => e.type === 'mcp.server.started')!.data).toMatchObject({
      server_id: 'srv',
      process_id: 1001,
      tool_count: 1,
      transport: 'stdio',
    });
  });

  it('a crash restarts after the first backoff step (not before), and counts the restart', async () => {
    const { sup, launcher, clock, call } = setup();
    await sup.start();
    launcher.last.exit(1, null);
    await settle(() => sup.info().state === 'restarting');
    clock.advance(999);
    expect(launcher.launched).toHaveLength(1);
    clock.advance(1);
    await settle(() => sup.info().state === 'running');
    expect(launcher.launched).toHaveLength(2);
    expect(sup.info()).toMatchObject({
      restarts: 1,
      crashesInWindow: 1,
      lastError: 'the process exited (exit code 1)',
    });
    expect(await call()).toBe('pid 1002');
  });

  it('a call made while restarting waits for the restart and succeeds', async () => {
    const { sup, launcher, clock, call } = setup();
    await sup.start();
    launcher.last.exit(null, 'SIGSEGV');
    await settle(() => sup.info().state === 'restarting');
    const pending = call();
    clock.advance(1000);
    expect(await pending).toBe('pid 1002');
  });

  it('the 4th crash within 5 minutes is permanent: no timer, calls fail at once, an operator restart revives it', async () => {
    const { sup, launcher, clock, call, types } = setup();
    await sup.start();
    for (const step of [1000, 4000, 15000]) {
      launcher.last.exit(1, null);
      await settle(() => sup.info().state === 'restarting');
      clock.advance(step);
      await settle(() => sup.info().state === 'running');
    }
    launcher.last.exit(1, null);
    await settle(() => sup.info().state === 'permanently_failed');
    expect(clock.pending()).toBe(0);
    await expect(call()).rejects.toMatchObject({ reason: 'permanently_failed' });
    expect(types()).toContain('mcp.server.permanently_failed');
    await sup.restart();
    expect(sup.info()).toMatchObject({ state: 'running', crashesInWindow: 0, restarts: 4 });
    expect(await call()).toBe('pid 1005');
  });

  it('a call in flight when the process dies fails at once with exited_during_call', async () => {
    const { sup, launcher, call } = setup();
    await sup.start();
    const pending = call('hang');
    await settle(() => sup.info().inFlight === 1);
    launcher.last.exit(null, 'SIGKILL');
    await expect(pending).rejects.toMatchObject({
      reason: 'exited_during_call',
      message: expect.stringMatching(/killed by SIGKILL/),
    });
  });

  it('parks an idle server (not one with a call in flight) and 20 concurrent calls respawn it once', async () => {
    const { sup, launcher, clock, call, types } = setup({ idleTimeoutMs: 10_000 });
    await sup.start();
    const hanging = call('hang');
    await settle(() => sup.info().inFlight === 1);
    expect(await sup.park(clock.now() + 60_000)).toBe(false);
    launcher.last.exit(null, 'SIGKILL');
    await hanging.catch(() => undefined);
    clock.advance(1000);
    await settle(() => sup.info().state === 'running');

    expect(await sup.park(clock.now() + 9_000)).toBe(false);
    expect(await sup.park(clock.now() + 10_000)).toBe(true);
    expect(sup.info().state).toBe('dormant');
    expect(launcher.launched.at(-1)!.alive).toBe(false);
    const before = launcher.launched.length;
    const results = await Promise.all(Array.from({ length: 20 }, () => call()));
    expect(launcher.launched).toHaveLength(before + 1);
    expect(new Set(results).size).toBe(1);
    expect(types().filter((t) => t === 'mcp.server.respawned')).toHaveLength(1);
    expect(types()).toContain('mcp.server.dormant');
  });

  it('a handshake that never completes fails the start with the timeout, and the hung child is terminated', async () => {
    const { sup, launcher } = setup({ handshakeTimeoutMs: 50 });
    launcher.behaviour = { hangInitialize: true };
    await expect(sup.start()).rejects.toMatchObject({
      reason: 'start_failed',
      message: expect.stringMatching(/no answer to "initialize" within 50 ms/),
    });
    await settle(() => !launcher.last.alive);
    expect(sup.info().state).toBe('restarting');
  });

  it('terminate cancels a pending restart, rejects waiters, and escalates to SIGKILL for a SIGTERM-proof tree', async () => {
    const { sup, launcher, clock, call } = setup();
    launcher.behaviour = { ignoreSigterm: true };
    await sup.start();
    launcher.last.exit(1, null);
    await settle(() => sup.info().state === 'restarting');
    const waiting = call();
    await sup.terminate('removed');
    await expect(waiting).rejects.toMatchObject({ reason: 'terminated' });
    clock.advance(60_000);
    expect(launcher.launched).toHaveLength(1);

    const second = setup();
    second.launcher.behaviour = { ignoreSigterm: true };
    await second.sup.start();
    await second.sup.terminate('removed');
    expect(second.launcher.last.signals).toEqual(['SIGTERM', 'SIGKILL']);
    expect(second.sup.info().state).toBe('terminated');
  });
});
