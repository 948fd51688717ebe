import { describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ManualClock } from '../../test/support/manual-clock.js';
import { CallLatency } from './call-latency.js';
import { HealthProbe, type ProbeTarget } from './process-health.js';
import type { ResourceSampler, TreeUsage } from './resource-sampler.js';

type PingMode = 'answer' | 'hang' | 'method_not_found' | 'closed';

function setup(over: { after?: number; restart?: boolean } = {}) {
  const clock = new ManualClock();
  let mode: PingMode = 'answer';
  let cpuSeconds = 10;
  let generation = 1;
  const pings: number[] = [];
  const client = {
    ping: ({ signal }: { signal: AbortSignal }) => {
      pings.push(clock.now());
      switch (mode) {
        case 'answer':
          return clock.sleep(7).then(() => ({}));
        case 'method_not_found':
          return Promise.reject(new McpError(ErrorCode.MethodNotFound, 'no ping here'));
        case 'closed':
          return Promise.reject(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
        case 'hang':
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(signal.reason as Error)),
          );
      }
    },
  } as unknown as Client;
  const calls = new CallLatency();
  let running = true;
  const target = (): ProbeTarget | undefined =>
    running ? { generation, pid: 4242, client, calls } : undefined;
  const sampler = {
    sample: (): TreeUsage => ({
      memoryBytes: 50 * 1024 * 1024,
      cpuSeconds,
      processes: 2,
      source: 'proc',
    }),
  } as unknown as ResourceSampler;
  const kills: Array<{ generation: number; reason: string }> = [];
  const warnings: string[] = [];
  const probe = new HealthProbe({
    slug: 'srv',
    running: target,
    killUnresponsive: (g, reason) => (kills.push({ generation: g, reason }), true),
    sampler,
    clock,
    config: {
      pingIntervalMs: 1000,
      pingTimeoutMs: 200,
      unresponsiveAfter: over.after ?? 3,
      restartUnresponsive: over.restart ?? true,
    },
    log: { warn: (line) => warnings.push(line) },
    random: () => 0.5,
  });
  /** Starts a probe round and lets the fake ping time out (or answer). */
  const round = async () => {
    const done = probe.probe();
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    clock.advance(250);
    await done;
  };
  return {
    clock,
    probe,
    kills,
    warnings,
    pings,
    calls,
    round,
    set: (m: PingMode) => (mode = m),
    burnCpu: (s: number) => (cpuSeconds += s),
    newProcess: () => generation++,
    stop: () => (running = false),
  };
}

describe('HealthProbe', () => {
  it('an answered ping: healthy, with its round trip, the tree figures and the call latency', async () => {
    const t = setup();
    t.calls.record(12);
    t.calls.record(30);
    await t.round();
    expect(t.probe.snapshot()).toMatchObject({
      verdict: 'healthy',
      unansweredPings: 0,
      lastPingMs: 7,
      memoryBytes: 50 * 1024 * 1024,
      memorySource: 'proc',
      processCount: 2,
      calls: { lastMs: 30, avgMs: 21, count: 2 },
    });
  });

  it('CPU % is the tree CPU time over the wall time between two samples at least 1 s apart', () => {
    const t = setup();
    expect(t.probe.snapshot().cpuPercent).toBeUndefined(); // one sample: no rate yet
    t.clock.advance(2000);
    t.burnCpu(0.5);
    expect(t.probe.snapshot().cpuPercent).toBe(25);
    t.clock.advance(500); // too soon for a new window: the same figure
    t.burnCpu(5);
    expect(t.probe.snapshot().cpuPercent).toBe(25);
  });

  it('unanswered pings: unresponsive at once, killed with the reason after N in a row, then a clean record', async () => {
    const t = setup({ after: 3 });
    t.set('hang');
    await t.round();
    expect(t.probe.snapshot()).toMatchObject({ verdict: 'unresponsive', unansweredPings: 1 });
    await t.round();
    expect(t.kills).toEqual([]);
    await t.round();
    expect(t.kills).toEqual([{ generation: 1, reason: 'unresponsive: 3 pings unanswered' }]);
    expect(t.warnings.at(-1)).toMatch(/unresponsive: 3 pings unanswered while its process lives/);
    // The restarted process starts healthy.
    t.newProcess();
    t.set('answer');
    expect(t.probe.snapshot()).toMatchObject({ verdict: 'healthy', unansweredPings: 0 });
  });

  it('an answer resets the count; the restart can be turned off', async () => {
    const t = setup({ after: 2, restart: false });
    t.set('hang');
    await t.round();
    t.set('answer');
    await t.round();
    expect(t.probe.snapshot().unansweredPings).toBe(0);
    t.set('hang');
    for (let i = 0; i < 4; i++) await t.round();
    expect(t.probe.snapshot()).toMatchObject({ verdict: 'unresponsive', unansweredPings: 4 });
    expect(t.kills).toEqual([]);
  });

  it('a JSON-RPC error is an answer; a closed connection is a crash, not a missed ping', async () => {
    const t = setup({ after: 1 });
    t.set('method_not_found');
    await t.round();
    expect(t.probe.snapshot()).toMatchObject({ verdict: 'healthy', unansweredPings: 0 });
    t.set('closed');
    await t.round();
    expect(t.probe.snapshot().unansweredPings).toBe(0);
    expect(t.kills).toEqual([]);
  });

  it('pings on its own every interval ±20 % while running; nothing when stopped; unknown when not running', async () => {
    const t = setup();
    t.probe.start();
    t.clock.advance(999); // random 0.5: exactly the interval
    expect(t.pings).toHaveLength(0);
    t.clock.advance(1);
    expect(t.pings).toHaveLength(1);
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    t.probe.stop();
    t.clock.advance(10_000);
    expect(t.pings).toHaveLength(1);
    t.stop();
    expect(t.probe.snapshot()).toEqual({ verdict: 'unknown', unansweredPings: 0 });
  });
});
