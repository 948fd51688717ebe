// Invariant: an upstream's notifications/tools/list_changed alone makes its new tools
// discoverable and callable (no other trigger: the periodic re-check is off), and a burst of
// notifications is coalesced into at most one listing more than the first.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { SatelliteEvent } from '../../src/events/event-map.js';
import { EventBusService } from '../../src/events/event-bus.service.js';
import { ServerOwner } from '../../src/process/server-owner.js';
import { connectClient, type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { ROOT, stdioEntry } from '../support/upstreams.js';

const FIXTURE = resolve(ROOT, 'test', 'fixtures', 'catalog-server.mjs');

const text = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('live tool refresh', () => {
  let sat: Satellite;
  let client: Client;
  const events: SatelliteEvent[] = [];

  beforeAll(async () => {
    sat = await startSatellite(
      { cat: stdioEntry(FIXTURE) },
      { DEPLOYSTACK_TOOLS_RECHECK_INTERVAL_MS: '0' },
    );
    sat.app.get(EventBusService).subscribe((e) => void events.push(e));
    client = await connectClient(sat.mcpUrl);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sat?.stop();
  });

  const discover = async (query: string) =>
    (
      (await client.callTool({ name: 'discover_mcp_tools', arguments: { query, limit: 50 } }))
        .structuredContent as { tools: { tool_path: string; description: string }[] }
    ).tools.map((t) => t.tool_path);
  const execute = async (toolPath: string, args: Record<string, unknown> = {}) =>
    (await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: toolPath, arguments: args },
    })) as CallToolResult;
  /** Resolves with the first `mcp.tools.discovered` of `cat` (after `from`) that lists `tool`. */
  const discoveredWith = (tool: string, from: number) =>
    waitFor(`mcp.tools.discovered with ${tool}`, () =>
      events
        .slice(from)
        .find(
          (e) =>
            e.type === 'mcp.tools.discovered' &&
            (e.data as { server_slug: string }).server_slug === 'cat' &&
            (e.data as { tools: { tool_name: string }[] }).tools.some((t) => t.tool_name === tool),
        ),
    );

  it('finds a tool the upstream added, after its list_changed and nothing else', async () => {
    expect(await discover('*')).not.toContain('cat-fresh_tool');
    const from = events.length;
    const added = await execute('cat-add_tools', { names: ['fresh_tool'] });
    expect(text(added)).toBe('added fresh_tool');
    // The catalog is updated by the notification's re-listing: the event says so, then search.
    await discoveredWith('fresh_tool', from);
    expect(await discover('fresh_tool')).toContain('cat-fresh_tool');
    expect(text(await execute('cat-fresh_tool'))).toBe('ran fresh_tool');
  }, 60_000);

  it('coalesces a burst of notifications', async () => {
    const names = ['burst_a', 'burst_b', 'burst_c', 'burst_d', 'burst_e'];
    const from = events.length;
    await execute('cat-add_tools', { names });
    await discoveredWith('burst_e', from);
    // Let any coalesced re-listing finish: the server's owner has nothing running or queued.
    const owner = sat.app.get(ServerOwner);
    await waitFor('the refresh to settle', () => !owner.busy('cat') || undefined);
    const listings = events
      .slice(from)
      .filter(
        (e) =>
          e.type === 'mcp.tools.discovered' &&
          (e.data as { server_slug: string }).server_slug === 'cat',
      );
    // Five notifications: one listing, and at most one more for those that came during it.
    expect(listings.length).toBeGreaterThanOrEqual(1);
    expect(listings.length).toBeLessThanOrEqual(2);
    const found = await discover('*');
    for (const name of names) expect(found).toContain(`cat-${name}`);
  }, 60_000);
});
