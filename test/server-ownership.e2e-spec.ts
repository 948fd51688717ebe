// Invariant: one owner per server (ServerOwner). Concurrent adds, removals and restarts of one
// server end in the state of the last one asked for; a removal during a start leaves the server
// terminated with the reason "removed" (at once, not after the handshake timeout); a re-add
// during a removal ends online; nothing is ever left without a visible state and a reason.
// Real satellite (in-process), real child processes, real MCP servers.
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { StdioServerDefinition } from '../src/config/server-definition.js';
import { ServerControlService } from '../src/discovery/server-control.service.js';
import { ServerRegistryService } from '../src/discovery/server-registry.service.js';
import { UpstreamManagerService } from '../src/discovery/upstream-manager.service.js';
import { EventBusService } from '../src/events/event-bus.service.js';
import type { SatelliteEvent, SatelliteEventType } from '../src/events/event-map.js';
import { ProcessManagerService } from '../src/process/process-manager.service.js';
import { fixture, processesWithMarker, stdioDef } from './process/support/process-harness.js';
import { connectClient, type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { MEMORY } from './support/upstreams.js';

describe('one owner per server: concurrent lifecycle operations', () => {
  let sat: Satellite;
  let client: Client;
  let upstreams: UpstreamManagerService;
  let processes: ProcessManagerService;
  let registry: ServerRegistryService;
  const events: SatelliteEvent[] = [];

  beforeAll(async () => {
    // Long handshake and discovery timeouts: a removal that waited for the hung start to time out
    // would time the test out.
    sat = await startSatellite(
      {},
      { DEPLOYSTACK_HANDSHAKE_TIMEOUT_MS: '120000', DEPLOYSTACK_DISCOVERY_TIMEOUT_MS: '120000' },
    );
    sat.app.get(EventBusService).subscribe((e) => events.push(e));
    upstreams = sat.app.get(UpstreamManagerService);
    processes = sat.app.get(ProcessManagerService);
    registry = sat.app.get(ServerRegistryService);
    client = await connectClient(sat.mcpUrl);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sat?.stop();
  });

  /** server-memory with a marker in its environment (to find its processes) and a version. */
  const memory = (id: string, marker: string, version: number): StdioServerDefinition =>
    stdioDef({
      id,
      slug: id,
      team: 'default',
      args: [MEMORY],
      env: {
        MEMORY_FILE_PATH: join(tmpdir(), `ownership-${process.pid}-${id}-${version}.jsonl`),
        OWNERSHIP_MARKER: marker,
      },
    });
  const live = (marker: string) => processesWithMarker(`OWNERSHIP_MARKER=${marker}`);
  const eventsOf = <K extends SatelliteEventType>(type: K) =>
    events.filter((e): e is SatelliteEvent<K> => e.type === type);
  const stopped = (id: string) =>
    eventsOf('mcp.server.stopped').filter((e) => e.data.server_id === id);
  const execute = async (toolPath: string) =>
    (await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: toolPath, arguments: {} },
    })) as CallToolResult;

  it('add v1, remove, add v2 issued together: online with v2, one process', async () => {
    const marker = randomUUID();
    const v1 = memory('seq-a', marker, 1);
    const v2 = memory('seq-a', marker, 2);
    await Promise.all([upstreams.add(v1), upstreams.remove(v1.id), upstreams.add(v2)]);

    expect(upstreams.get(v1.id)?.def).toBe(v2);
    expect(upstreams.stateOf(v2)).toEqual({ state: 'online' });
    expect(processes.get(v1.id)?.state).toBe('running');
    expect(upstreams.get(v1.id)?.toolCount).toBe(9);
    await waitFor('one process of the server', () => live(marker).length === 1);
    await upstreams.remove(v1.id);
  }, 60_000);

  it('add, restart, remove issued together: removed, no process left', async () => {
    const marker = randomUUID();
    const def = memory('seq-b', marker, 1);
    await Promise.all([upstreams.add(def), upstreams.restart(def), upstreams.remove(def.id)]);

    expect(upstreams.get(def.id)).toBeUndefined();
    expect(processes.get(def.id)).toBeUndefined();
    await waitFor('no process of the server', () => live(marker).length === 0);
  }, 60_000);

  it('add v1, add v2, restart v2 issued together: online with v2, restarted once', async () => {
    const marker = randomUUID();
    const v1 = memory('seq-c', marker, 1);
    const v2 = memory('seq-c', marker, 2);
    await Promise.all([upstreams.add(v1), upstreams.add(v2), upstreams.restart(v2)]);

    expect(upstreams.get(v1.id)?.def).toBe(v2);
    expect(upstreams.stateOf(v2)).toEqual({ state: 'online' });
    expect(processes.get(v2.id)).toMatchObject({ state: 'running', restarts: 1 });
    await waitFor('one process of the server', () => live(marker).length === 1);
    await upstreams.remove(v2.id);
  }, 60_000);

  it('backend restart, config removal and re-add issued together: online with the re-added one', async () => {
    const marker = randomUUID();
    const v1 = memory('mixed', marker, 1);
    const v2 = memory('mixed', marker, 2);
    await registry.apply('test', [v1]);
    const control = sat.app.get(ServerControlService);
    const outcomes = await Promise.allSettled([
      control.restartServer(v1.id),
      registry.apply('test', []),
      registry.apply('test', [v2]),
    ]);
    // The restart may have been cut short by the removal; both applies went through.
    expect(outcomes.slice(1).map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(upstreams.get(v1.id)?.def).toBe(v2);
    expect(upstreams.stateOf(v2)).toEqual({ state: 'online' });
    await waitFor('one process of the server', () => live(marker).length === 1);
    await registry.apply('test', []);
    await waitFor('no process left', () => live(marker).length === 0);
  }, 60_000);

  it('a removal during a hung start terminates it with the reason "removed", at once', async () => {
    const marker = randomUUID();
    const def = stdioDef({
      id: 'hung',
      slug: 'hung',
      team: 'default',
      args: [fixture('never-initialize.mjs')],
      env: { OWNERSHIP_MARKER: marker },
    });
    const defs = registry.definitions();
    const adding = registry.apply('test', [...defs, def]);
    // Its process runs and waits for an "initialize" answer that never comes.
    await waitFor('the hung server spawned', () => live(marker).length === 1);
    expect(processes.get(def.id)?.state).toBe('starting');
    const status = (await (await fetch(`${sat.baseUrl}/api/status/debug`)).json()) as {
      servers: Record<string, number>;
    };
    expect(status.servers.starting).toBeGreaterThanOrEqual(1);

    // Removed while starting: does not wait out the 120 s handshake timeout.
    await registry.apply('test', defs);
    await adding;
    expect(stopped(def.id).map((e) => e.data.reason)).toEqual(['removed']);
    expect(
      eventsOf('mcp.server.status_changed').some(
        (e) =>
          e.data.installation_id === def.id &&
          e.data.status === 'offline' &&
          e.data.status_message === 'removed',
      ),
    ).toBe(true);
    expect(processes.get(def.id)).toBeUndefined();
    expect(upstreams.get(def.id)).toBeUndefined();
    await waitFor('no process of the hung server', () => live(marker).length === 0);
  }, 60_000);

  it('a re-add during a removal ends online, with a new process', async () => {
    const marker = randomUUID();
    const def = memory('readd', marker, 1);
    await registry.apply('test', [def]);
    expect(upstreams.stateOf(def)).toEqual({ state: 'online' });
    const firstPid = processes.get(def.id)?.pid;
    expect(firstPid).toBeGreaterThan(0);

    const removing = upstreams.remove(def.id);
    const readding = upstreams.add(def);
    await Promise.all([removing, readding]);

    expect(upstreams.stateOf(def)).toEqual({ state: 'online' });
    expect(processes.get(def.id)?.pid).not.toBe(firstPid);
    await waitFor('one process of the server', () => live(marker).length === 1);
    const r = await execute('readd-read_graph');
    expect(r.isError).toBeFalsy();
    await registry.apply('test', []);
  }, 60_000);

  it('GET / counts every configured server in one visible state', async () => {
    const marker = randomUUID();
    const on = memory('counted', marker, 1);
    const off: StdioServerDefinition = { ...memory('switched-off', marker, 1), enabled: false };
    await registry.apply('test', [on, off]);
    const summary = (await (await fetch(`${sat.baseUrl}/`)).json()) as {
      servers: Record<string, number>;
    };
    expect(summary.servers).toEqual({
      total: 2,
      online: 1,
      starting: 0,
      installing: 0,
      dormant: 0,
      error: 0,
      disabled: 1,
    });
    const debug = (await (await fetch(`${sat.baseUrl}/api/status/debug`)).json()) as {
      teams: Record<string, Record<string, Array<{ slug: string; state: string }>>>;
    };
    const states = Object.fromEntries(
      Object.values(debug.teams)
        .flatMap((t) => Object.values(t).flat())
        .map((s) => [s.slug, s.state]),
    );
    expect(states).toEqual({ counted: 'online', 'switched-off': 'disabled' });
    await registry.apply('test', []);
    await waitFor('no process left', () => live(marker).length === 0);
  }, 60_000);
});
