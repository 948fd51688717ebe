// Invariant: a running stdio server shows real CPU, memory and call figures of its process tree;
// one that stops answering pings while its process lives is reported unresponsive and, when so
// configured, killed and restarted through the crash policy with the reason.
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  callTool,
  createHarness,
  fixture,
  type Harness,
  newClient,
  stdioDef,
  textOf,
  waitFor,
} from './support/process-harness.js';

const FAST = { restartBackoff: { baseMs: 100, maxMs: 100, minMs: 100 } };
// A generous timeout: a loaded CI machine must never make a live server miss a ping.
const PROBE = { pingIntervalMs: 300, pingTimeoutMs: 1500 };

describe('process health (none driver, real child processes)', () => {
  let h: Harness | undefined;
  const stopped: number[] = [];
  afterEach(async () => {
    for (const pid of stopped.splice(0)) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone
      }
    }
    await h?.close();
    h = undefined;
  });

  it('a running server has a ping round trip, CPU %, memory > 0 and call latency', async () => {
    h = await createHarness({ health: { ...PROBE, after: 3, restart: true } });
    const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
    await h.manager.start(def, newClient);
    expect(textOf(await callTool(h.manager, def.id, 'echo', { message: 'x' }))).toBe('Echo: x');

    const health = await waitFor(
      'a ping answer and a CPU figure',
      () => {
        const hl = h!.manager.get(def.id)?.health;
        return hl?.lastPingMs !== undefined && hl.cpuPercent !== undefined ? hl : undefined;
      },
      20_000,
    );
    expect(health.verdict).toBe('healthy');
    expect(health.unansweredPings).toBe(0);
    expect(health.lastPingMs).toBeGreaterThanOrEqual(0);
    expect(health.cpuPercent).toBeGreaterThanOrEqual(0);
    // A Node process: its resident memory is megabytes, not zero and not the whole machine.
    expect(health.memoryBytes).toBeGreaterThan(5 * 1024 * 1024);
    expect(health.memoryBytes).toBeLessThan(2 * 1024 * 1024 * 1024);
    expect(health.processCount).toBeGreaterThanOrEqual(1);
    expect(['proc', 'cgroup']).toContain(health.memorySource);
    // tools/list at start (countTools) and the echo call.
    expect(health.calls?.count).toBeGreaterThanOrEqual(2);
    expect(health.calls?.lastMs).toBeGreaterThanOrEqual(0);
  }, 60_000);

  it('SIGSTOP: reported unresponsive, killed with the reason, restarted by the policy, and serves again', async () => {
    h = await createHarness({ tuning: FAST, health: { ...PROBE, after: 2, restart: true } });
    const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
    await h.manager.start(def, newClient);
    const pid = h.manager.get(def.id)!.pid!;
    await waitFor('a first ping answer', () => h!.manager.get(def.id)?.health?.lastPingMs, 20_000);

    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);
    // Seen between the first unanswered ping and the restart.
    await waitFor(
      'the unresponsive verdict',
      () => h!.manager.get(def.id)?.health?.verdict === 'unresponsive',
      20_000,
    );
    const back = await waitFor(
      'a new process',
      () => {
        const info = h!.manager.get(def.id);
        return info?.state === 'running' && info.pid !== pid ? info : undefined;
      },
      30_000,
    );
    expect(back.restarts).toBe(1);
    expect(back.lastError).toMatch(/^unresponsive: 2 pings unanswered \(killed by SIGKILL\)/);
    const crash = h.eventsOf('mcp.server.crashed')[0].data;
    expect(crash).toMatchObject({ process_id: pid, signal: 'SIGKILL', will_restart: true });
    const status = h
      .eventsOf('mcp.server.status_changed')
      .find((e) => e.data.status === 'error')?.data;
    expect(status?.status_message).toMatch(/^unresponsive: 2 pings unanswered/);
    expect(h.eventsOf('mcp.server.restarted').map((e) => e.data.restart_count)).toEqual([1]);
    // The old tree is gone (SIGKILL reaches a stopped process).
    await waitFor('the stopped process to be gone', () => {
      try {
        process.kill(pid, 0);
        return false;
      } catch {
        return true;
      }
    });
    expect(textOf(await callTool(h.manager, def.id, 'echo', { message: 'back' }))).toBe(
      'Echo: back',
    );
    expect(h.manager.get(def.id)!.health!.verdict).toBe('healthy');
  }, 90_000);

  it('with the restart off: stays unresponsive while stopped, healthy again after SIGCONT', async () => {
    h = await createHarness({ health: { ...PROBE, after: 2, restart: false } });
    const def = stdioDef({ args: [fixture('tiny-server.mjs')] });
    await h.manager.start(def, newClient);
    const pid = h.manager.get(def.id)!.pid!;
    await waitFor('a first ping answer', () => h!.manager.get(def.id)?.health?.lastPingMs, 20_000);

    process.kill(pid, 'SIGSTOP');
    stopped.push(pid);
    await waitFor(
      'three unanswered pings',
      () => (h!.manager.get(def.id)?.health?.unansweredPings ?? 0) >= 3,
      30_000,
    );
    const info = h.manager.get(def.id)!;
    expect(info).toMatchObject({ state: 'running', pid, restarts: 0 });
    expect(info.health!.verdict).toBe('unresponsive');

    process.kill(pid, 'SIGCONT');
    await waitFor(
      'the healthy verdict',
      () => h!.manager.get(def.id)?.health?.verdict === 'healthy',
      20_000,
    );
    expect(h.manager.get(def.id)).toMatchObject({ pid, restarts: 0 });
  }, 90_000);
});
