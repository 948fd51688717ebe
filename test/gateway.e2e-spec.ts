// Invariant: an MCP client sees exactly the two meta-tools and reaches, through them, the tools of
// every configured server (stdio and HTTP/SSE), with results returned verbatim.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import { connectClient, type Satellite, startSatellite } from './support/satellite.js';
import {
  EVERYTHING,
  freePort,
  type HttpPeer,
  MEMORY,
  startEverythingHttp,
  stdioEntry,
} from './support/upstreams.js';

interface Discovered {
  tools: Array<{
    tool_path: string;
    server: string;
    transport: string;
    description: string;
    input_schema: unknown;
    score: number;
  }>;
  total_found: number;
  query: string;
}

const text = (r: CallToolResult) =>
  r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe('standalone gateway over /mcp', () => {
  let sat: Satellite;
  let client: Client;
  let http: HttpPeer;
  let sse: HttpPeer;

  beforeAll(async () => {
    [http, sse] = await Promise.all([
      startEverythingHttp('streamableHttp'),
      startEverythingHttp('sse'),
    ]);
    const deadPort = await freePort();
    sat = await startSatellite(
      {
        memory: stdioEntry(MEMORY, [], {
          env: { MEMORY_FILE_PATH: '/tmp/satellite-e2e-memory-' + process.pid + '.jsonl' },
        }),
        everything: stdioEntry(EVERYTHING, ['stdio']),
        'everything-http': { type: 'http', url: http.url },
        'everything-sse': { type: 'sse', url: sse.url },
        dead: { type: 'http', url: `http://127.0.0.1:${deadPort}/mcp` },
      },
      { DEPLOYSTACK_DISCOVERY_TIMEOUT_MS: '10000' },
    );
    client = await connectClient(sat.mcpUrl);
  }, 90_000);

  afterAll(async () => {
    await client?.close();
    await sat?.stop();
    await Promise.all([http?.stop(), sse?.stop()]);
  });

  const discover = async (args: Record<string, unknown>): Promise<Discovered> => {
    const result = (await client.callTool({
      name: 'discover_mcp_tools',
      arguments: args,
    })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(JSON.parse(text(result))).toEqual(result.structuredContent);
    return result.structuredContent as unknown as Discovered;
  };
  const execute = async (tool_path: string, args: Record<string, unknown>) =>
    (await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path, arguments: args },
    })) as CallToolResult;

  it('lists exactly the two meta-tools, and no resources or prompts', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(['discover_mcp_tools', 'execute_mcp_tool']);
    expect(tools.find((t) => t.name === 'execute_mcp_tool')!.inputSchema.required).toEqual([
      'tool_path',
      'arguments',
    ]);
    expect((await client.listResources()).resources).toEqual([]);
    expect((await client.listResourceTemplates()).resourceTemplates).toEqual([]);
    expect((await client.listPrompts()).prompts).toEqual([]);
  });

  it('discovers tools of stdio, HTTP and SSE servers with their schemas', async () => {
    const found = await discover({ query: 'echo back the input message', limit: 10 });
    const paths = found.tools.map((t) => t.tool_path);
    expect(paths).toEqual(
      expect.arrayContaining(['everything-echo', 'everything-http-echo', 'everything-sse-echo']),
    );
    const hit = found.tools.find((t) => t.tool_path === 'everything-http-echo')!;
    expect(hit).toMatchObject({ server: 'everything-http', transport: 'http' });
    expect(hit.input_schema).toMatchObject({
      type: 'object',
      properties: { message: expect.anything() },
    });
    expect(found.tools.find((t) => t.tool_path === 'everything-sse-echo')).toMatchObject({
      transport: 'sse',
    });
    const scores = found.tools.map((t) => t.score);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);

    const memory = await discover({ query: 'create entities in the knowledge graph', limit: 3 });
    expect(memory.tools[0].tool_path).toBe('memory-create_entities');
  });

  it('lists one server\'s tools with query "*" and a server filter', async () => {
    const listed = await discover({ query: '*', server: 'memory', limit: 50 });
    expect(listed.tools.length).toBe(9);
    expect(listed.total_found).toBe(9);
    expect(listed.tools.every((t) => t.server === 'memory')).toBe(true);
  });

  it('executes on a stdio server and keeps its state between calls', async () => {
    const name = `e2e-entity-${Date.now()}`;
    const created = await execute('memory-create_entities', {
      entities: [{ name, entityType: 'test', observations: ['made by the e2e test'] }],
    });
    expect(created.isError).toBeFalsy();
    const graph = await execute('memory:read_graph', {});
    expect(text(graph)).toContain(name);
  });

  it('returns upstream results verbatim over stdio, HTTP and SSE', async () => {
    for (const server of ['everything', 'everything-http', 'everything-sse']) {
      const result = await execute(`${server}-echo`, { message: `hi from ${server}` });
      expect(result).toEqual({ content: [{ type: 'text', text: `Echo: hi from ${server}` }] });
    }
    const structured = await execute('everything-get-structured-content', { location: 'New York' });
    expect(structured.structuredContent).toBeDefined();
    expect(CallToolResultSchema.safeParse(structured).success).toBe(true);
  });

  it('relays progress of a long-running upstream tool and honours cancellation', async () => {
    const progress: number[] = [];
    const result = (await client.callTool(
      {
        name: 'execute_mcp_tool',
        arguments: {
          tool_path: 'everything-http-trigger-long-running-operation',
          arguments: { duration: 0.6, steps: 3 },
        },
      },
      CallToolResultSchema,
      { onprogress: (p) => progress.push(p.progress) },
    )) as CallToolResult;
    expect(text(result)).toContain('Long running operation completed');
    expect(progress).toEqual([1, 2, 3]);

    const controller = new AbortController();
    const started = Date.now();
    const call = client.callTool(
      {
        name: 'execute_mcp_tool',
        arguments: {
          tool_path: 'everything-trigger-long-running-operation',
          arguments: { duration: 20, steps: 20 },
        },
      },
      CallToolResultSchema,
      { signal: controller.signal, onprogress: () => controller.abort('user cancelled') },
    );
    await expect(call).rejects.toThrow(/cancelled/);
    expect(Date.now() - started).toBeLessThan(10_000);
    // The upstream stays usable after a cancelled call.
    expect(text(await execute('everything-echo', { message: 'after cancel' }))).toBe(
      'Echo: after cancel',
    );
  });

  it('answers an unknown path with an isError result that suggests close paths', async () => {
    const result = await execute('everything-ecoh', { message: 'x' });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/Unknown tool path "everything-ecoh"/);
    expect(text(result)).toMatch(/Closest matches: .*echo/);
    expect(text(result)).toMatch(/discover_mcp_tools/);
  });

  it('reports an upstream error as an isError result telling what to fix', async () => {
    const result = await execute('everything-get-sum', { a: 'not a number' });
    expect(result.isError).toBe(true);
    expect(text(result).length).toBeGreaterThan(0);
  });

  it('rejects malformed meta-tool arguments with JSON-RPC -32602', async () => {
    for (const args of [
      { tool_path: 'everything-echo' },
      { tool_path: 42, arguments: {} },
      { tool_path: 'x', arguments: [] },
    ]) {
      const err = await client
        .callTool({ name: 'execute_mcp_tool', arguments: args })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).code).toBe(ErrorCode.InvalidParams);
    }
    for (const args of [{}, { query: '' }, { query: 'x', limit: 0 }, { query: 'x', limit: 51 }]) {
      const err = await client
        .callTool({ name: 'discover_mcp_tools', arguments: args })
        .catch((e: unknown) => e);
      expect((err as McpError).code).toBe(ErrorCode.InvalidParams);
    }
  });

  it('keeps serving when one server is dead, and shows it on the debug route', async () => {
    const res = await fetch(`${sat.baseUrl}/api/status/debug`);
    expect(res.status).toBe(200);
    const debug = (await res.json()) as {
      teams: Record<
        string,
        Record<
          string,
          Array<{ slug: string; status: string; last_error?: string; tools: string[] }>
        >
      >;
    };
    const all = Object.values(debug.teams.default).flat();
    expect(all.find((s) => s.slug === 'dead')).toMatchObject({ status: 'error', tools: [] });
    expect(all.find((s) => s.slug === 'dead')!.last_error).toBeTruthy();
    for (const slug of ['memory', 'everything', 'everything-http', 'everything-sse']) {
      expect(all.find((s) => s.slug === slug)).toMatchObject({ status: 'online' });
    }
    expect(Object.keys(debug.teams.default).sort()).toEqual(['http', 'sse', 'stdio']);
  });
});
