// Invariant: no process a stdio server started outlives it: not the wrapper's grandchildren, not
// after a crash, not after satellite shutdown, not after a previous satellite run died, and not
// after hundreds of spawn/terminate cycles.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import {
  callTool,
  createHarness,
  fixture,
  newClient,
  processesWithMarker,
  stdioDef,
  textOf,
  waitFor,
} from './support/process-harness.js';

const wrapped = (marker: string, team = 'team-a') =>
  stdioDef({
    command: '/bin/sh',
    // Like npx / uvx / sh -c: the real server is a grandchild, and it forks a helper that ignores SIGTERM.
    args: ['-c', `"${process.execPath}" "${fixture('spawns-grandchild.mjs')}"`],
    env: { TREE_MARKER: marker },
    team,
  });

const uniqueMarker = () =>
  `tree-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`;

describe('process trees are terminated whole', () => {
  it('a wrapper with a grandchild (and its SIGTERM-proof helper) leaves nothing after removal and after shutdown', async () => {
    const h = await createHarness({ killGraceMs: 300 });
    const first = uniqueMarker();
    const a = wrapped(first);
    await h.manager.start(a, newClient);
    expect(Number(textOf(await callTool(h.manager, a.id, 'helper')))).toBeGreaterThan(0);
    expect(processesWithMarker(first).length).toBeGreaterThanOrEqual(3); // sh, node server, helper
    await h.manager.remove(a.id);
    expect(processesWithMarker(first)).toEqual([]);
    await h.manager.remove(a.id); // idempotent

    const second = uniqueMarker();
    const b = wrapped(second);
    await h.manager.start(b, newClient);
    expect(processesWithMarker(second).length).toBeGreaterThanOrEqual(3);
    await h.close(); // the application shutdown hook
    expect(processesWithMarker(second)).toEqual([]);
  }, 30_000);

  it('a crashed server leaves no helper behind', async () => {
    const h = await createHarness({
      killGraceMs: 300,
      tuning: { restartBackoff: { baseMs: 60_000, maxMs: 60_000, minMs: 60_000 } },
    });
    const marker = uniqueMarker();
    const def = stdioDef({
      args: [fixture('spawns-grandchild.mjs')],
      env: { TREE_MARKER: marker },
    });
    await h.manager.start(def, newClient);
    const helper = Number(textOf(await callTool(h.manager, def.id, 'helper')));
    expect(processesWithMarker(marker)).toContain(helper);
    process.kill(h.manager.get(def.id)!.pid!, 'SIGKILL');
    await waitFor(
      'the helper to be killed with its group',
      () => processesWithMarker(marker).length === 0,
    );
    expect(h.manager.get(def.id)!.state).toBe('restarting');
    await h.close();
  }, 30_000);

  it('the next satellite start sweeps the process groups a dead previous run left behind', async () => {
    // The first "satellite" never shuts down (as if SIGKILLed); its restart is far away.
    const dead = await createHarness({
      tuning: { restartBackoff: { baseMs: 600_000, maxMs: 600_000, minMs: 600_000 } },
    });
    const marker = uniqueMarker();
    await dead.manager.start(wrapped(marker), newClient);
    expect(processesWithMarker(marker).length).toBeGreaterThanOrEqual(3);
    expect(readdirSync(join(dead.dataDir, 'run', 'process-groups'))).toHaveLength(1);

    const next = await createHarness({ dataDir: dead.dataDir });
    await waitFor('the leftovers to be killed', () => processesWithMarker(marker).length === 0);
    expect(readdirSync(join(dead.dataDir, 'run', 'process-groups'))).toHaveLength(0);
    await next.close();
    await dead.close();
  }, 30_000);

  it('200 spawn/terminate cycles leave zero processes, no records and bounded memory', async () => {
    const h = await createHarness();
    const marker = uniqueMarker();
    const cycle = async (i: number) => {
      const def = stdioDef({
        id: `cycle-${i}`,
        args: [fixture('tiny-server.mjs')],
        env: { CYCLE_MARKER: marker },
      });
      await h.manager.start(def, newClient);
      await h.manager.remove(def.id);
    };
    const run = async (from: number, count: number, parallel: number) => {
      let next = from;
      await Promise.all(
        Array.from({ length: parallel }, async () => {
          while (next < from + count) await cycle(next++);
        }),
      );
    };
    await run(0, 10, 4); // warm-up
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    await run(10, 200, 4);
    expect(processesWithMarker(marker)).toEqual([]);
    expect(h.manager.list()).toEqual([]);
    expect(readdirSync(join(h.dataDir, 'run', 'process-groups'))).toEqual([]);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(80 * 1024 * 1024);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(40 * 1024 * 1024);
    await h.close();
  }, 60_000);
});
