// Invariant: an edit of the server config file applies as a differential update (untouched
// servers keep their process), and a broken edit keeps the last good configuration.
import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { ConfigFileWatcherService } from '../src/discovery/config-file-watcher.service.js';
import { EventBusService } from '../src/events/event-bus.service.js';
import type { SatelliteEvent } from '../src/events/event-map.js';
import { connectClient, type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { EVERYTHING, freePort, MEMORY, stdioEntry } from './support/upstreams.js';

describe('standalone config file hot reload', () => {
  let sat: Satellite;
  let client: Client;
  const events: SatelliteEvent[] = [];
  const memory = stdioEntry(MEMORY, [], {
    env: { MEMORY_FILE_PATH: `/tmp/satellite-reload-${process.pid}.jsonl` },
  });
  const everything = stdioEntry(EVERYTHING, ['stdio']);

  beforeAll(async () => {
    sat = await startSatellite({ alpha: everything, beta: memory });
    sat.app.get(EventBusService).subscribe((e) => events.push(e));
    client = await connectClient(sat.mcpUrl);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sat?.stop();
  });

  const paths = async (server?: string) => {
    const r = (await client.callTool({
      name: 'discover_mcp_tools',
      arguments: { query: '*', limit: 50, ...(server ? { server } : {}) },
    })) as CallToolResult;
    return (r.structuredContent as { tools: Array<{ tool_path: string }> }).tools.map(
      (t) => t.tool_path,
    );
  };
  const pidOf = async (slug: string): Promise<number | undefined> => {
    const debug = (await (await fetch(`${sat.baseUrl}/api/status/debug`)).json()) as {
      teams: Record<
        string,
        Record<string, Array<{ slug: string; process?: { pid?: number } | null }>>
      >;
    };
    return Object.values(debug.teams)
      .flatMap((t) => Object.values(t).flat())
      .find((s) => s.slug === slug)?.process?.pid;
  };

  it('adds and removes servers without touching the unchanged one', async () => {
    const betaPid = await pidOf('beta');
    expect(betaPid).toBeGreaterThan(0);
    expect(await paths('alpha')).toContain('alpha-echo');

    sat.writeConfig({ beta: memory, gamma: everything });
    await waitFor(
      'gamma tools',
      async () => (await paths('gamma')).includes('gamma-echo') || undefined,
    );
    await waitFor('alpha removed', async () =>
      (await paths('alpha')).length === 0 ? true : undefined,
    );
    expect(await pidOf('beta')).toBe(betaPid);
    expect(events.find((e) => e.type === 'config.refreshed')?.data).toMatchObject({
      added: 1,
      removed: 1,
      modified: 0,
      unchanged: 1,
    });

    const r = (await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'gamma-echo', arguments: { message: 'new' } },
    })) as CallToolResult;
    expect(r.content).toEqual([{ type: 'text', text: 'Echo: new' }]);
  });

  it('keeps the last good configuration when an edit is broken', async () => {
    const before = await paths();
    const watcher = sat.app.get(ConfigFileWatcherService);
    writeFileSync(sat.configPath, '{ "mcpServers": { "beta": ');
    await watcher.reload();
    expect(
      events.some(
        (e) =>
          e.type === 'config.error' &&
          (e.data as { problems: string[] }).problems[0].startsWith('not valid JSON'),
      ),
    ).toBe(true);
    expect(await paths()).toEqual(before);

    writeFileSync(sat.configPath, JSON.stringify({ mcpServers: { beta: { command: '' } } }));
    await watcher.reload();
    expect(await paths()).toEqual(before);
  });

  it('a dead server does not delay or break discovery of the others', async () => {
    const port = await freePort();
    sat.writeConfig({
      beta: memory,
      gamma: everything,
      dead: { type: 'http', url: `http://127.0.0.1:${port}/mcp` },
      delta: everything,
    });
    await waitFor(
      'delta tools',
      async () => (await paths('delta')).includes('delta-echo') || undefined,
    );
    expect(await paths('dead')).toEqual([]);
    expect((await paths('beta')).length).toBe(9);
  });
});
