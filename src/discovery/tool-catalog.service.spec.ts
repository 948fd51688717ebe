import { describe, expect, it } from '@jest/globals';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { SatelliteEvent } from '../events/event-map.js';
import { countJsonTokens } from './token-counter.js';
import { ToolCatalogService } from './tool-catalog.service.js';

const server = (id: string, slug = id): ServerDefinition => ({
  id,
  slug,
  team: 'default',
  enabled: true,
  secrets: [],
  transport: 'http',
  url: 'http://127.0.0.1/mcp',
  headers: {},
});
const tool = (name: string): Tool => ({ name, inputSchema: { type: 'object' } });

describe('ToolCatalogService', () => {
  it('addresses tools as {slug}-{tool} with hyphens on both sides, by exact lookup', () => {
    const catalog = new ToolCatalogService(new EventBusService());
    catalog.setServerTools(server('sequential-thinking'), [tool('sequentialthinking')]);
    catalog.setServerTools(server('notion'), [tool('API-post-search')]);
    expect(catalog.get('sequential-thinking-sequentialthinking')?.serverId).toBe(
      'sequential-thinking',
    );
    expect(catalog.get('notion-API-post-search')?.tool.name).toBe('API-post-search');
    expect(catalog.get('notion-API')).toBeUndefined();
  });

  it('keeps the first tool on a path collision and reports the second', () => {
    const bus = new EventBusService();
    const seen: SatelliteEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const catalog = new ToolCatalogService(bus);
    // "a-b" + "c" and "a" + "b-c" both give the path "a-b-c".
    catalog.setServerTools(server('a-b'), [tool('c')]);
    const kept = catalog.setServerTools(server('a'), [tool('b-c'), tool('d')]);
    expect(kept.map((e) => e.path)).toEqual(['a-d']);
    expect(catalog.get('a-b-c')?.serverId).toBe('a-b');
    expect(catalog.collisionsOf('a')).toEqual([
      { path: 'a-b-c', keptServerId: 'a-b', droppedServerId: 'a' },
    ]);
    expect(seen.find((e) => e.type === 'mcp.tools.collision')?.data).toMatchObject({
      tool_path: 'a-b-c',
      dropped_server: 'a',
    });
  });

  it('replaces and removes one server without touching the others, and tells listeners', () => {
    const catalog = new ToolCatalogService(new EventBusService());
    const changes: Array<[string, number | undefined]> = [];
    catalog.subscribe((id, entries) => changes.push([id, entries?.length]));
    catalog.setServerTools(server('x'), [tool('one'), tool('two')]);
    catalog.setServerTools(server('y'), [tool('one')]);
    catalog.setServerTools(server('x'), [tool('three')]);
    catalog.removeServer('y');
    expect([...catalog.all()].map((e) => e.path)).toEqual(['x-three']);
    expect(changes).toEqual([
      ['x', 2],
      ['y', 1],
      ['x', 1],
      ['y', undefined],
    ]);
  });

  it('counts each tool definition in tokens and reports them in mcp.tools.discovered', () => {
    const bus = new EventBusService();
    const seen: SatelliteEvent[] = [];
    bus.subscribe((e) => seen.push(e));
    const catalog = new ToolCatalogService(bus);
    const long: Tool = {
      name: 'search_issues',
      description: 'Search issues by text, label and state. '.repeat(20),
      inputSchema: { type: 'object', properties: { q: { type: 'string' } } },
    };
    catalog.setServerTools(server('github'), [tool('ping'), long]);
    const [ping, search] = catalog.serverTools('github');
    expect(ping.tokenCount).toBe(countJsonTokens(ping.tool));
    expect(search.tokenCount).toBeGreaterThan(ping.tokenCount * 5);
    expect(catalog.serverTokens('github')).toBe(ping.tokenCount + search.tokenCount);
    const event = seen.find((e) => e.type === 'mcp.tools.discovered');
    expect(event?.data).toMatchObject({
      installation_id: 'github',
      installation_name: 'github',
      team_id: 'default',
      server_slug: 'github',
      tool_count: 2,
      total_tokens: ping.tokenCount + search.tokenCount,
      tools: [
        { tool_name: 'ping', description: '', token_count: ping.tokenCount },
        {
          tool_name: 'search_issues',
          description: long.description,
          input_schema: long.inputSchema,
          token_count: search.tokenCount,
        },
      ],
    });
  });
});
