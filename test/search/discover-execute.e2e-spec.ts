// Invariant: the top hit of discover_mcp_tools is a tool_path that execute_mcp_tool can call, and
// discovery answers with small, filtered, ranked results over real stdio upstreams.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { countJsonTokens } from '../../src/discovery/token-counter.js';
import { connectClient, type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { ROOT, stdioEntry } from '../support/upstreams.js';

const REPLAY = resolve(ROOT, 'bench', 'search', 'replay-server.ts');
const CATALOG = resolve(ROOT, 'bench', 'data', 'tool-search', 'dev-catalog.json');
const SERVERS = ['slack', 'github', 'postgres', 'google-maps'];

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

let satellite: Satellite;
let client: Client;

async function discover(args: Record<string, unknown>): Promise<Discovered> {
  const result = await client.callTool({ name: 'discover_mcp_tools', arguments: args });
  return result.structuredContent as Discovered;
}

beforeAll(async () => {
  satellite = await startSatellite(
    Object.fromEntries(
      SERVERS.map((s) => [s, stdioEntry('--experimental-strip-types', [REPLAY, CATALOG, s])]),
    ),
  );
  client = await connectClient(satellite.mcpUrl);
  // 8 + 26 + 1 + 7 tools once every upstream has been discovered.
  await waitFor('the whole catalog', async () =>
    (await discover({ query: '*', limit: 1 })).total_found >= 42 ? true : undefined,
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await satellite?.stop();
});

describe('discover → execute', () => {
  it('executes the top hit of a search', async () => {
    // A tool's exact name ranks it first: a property of the ranking, not a result tuned on this
    // catalog (how well it ranks natural-language requests is `npm run bench:search`).
    const found = await discover({ query: 'slack_post_message', limit: 3 });
    expect(found.tools[0].tool_path).toBe('slack-slack_post_message');
    const result = await client.callTool({
      name: 'execute_mcp_tool',
      arguments: {
        tool_path: found.tools[0].tool_path,
        arguments: { channel_id: 'C1', text: 'hi' },
      },
    });
    expect(result.isError).toBeFalsy();
    expect(result.content).toEqual([
      { type: 'text', text: 'replayed slack/slack_post_message {"channel_id":"C1","text":"hi"}' },
    ]);
  });

  it('answers ranked hits with the input schema as the upstream gave it', async () => {
    const found = await discover({ query: 'maps directions', limit: 5 });
    expect(found.tools[0].tool_path).toBe('google-maps-maps_directions');
    expect(found.tools.length).toBeLessThanOrEqual(5);
    const scores = found.tools.map((t) => t.score);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect(found.tools[0]).toMatchObject({ server: 'google-maps', transport: 'stdio' });
    expect(found.tools[0].input_schema).toMatchObject({
      type: 'object',
      required: ['origin', 'destination'],
    });
  });

  it("lists one server's tools with query '*' and a server filter", async () => {
    const found = await discover({ query: '*', limit: 50, server: 'slack' });
    expect(found.total_found).toBe(8);
    expect(found.tools.map((t) => t.tool_path)).toEqual(
      [...found.tools.map((t) => t.tool_path)].sort(),
    );
    expect(found.tools.every((t) => t.server === 'slack')).toBe(true);
  });

  it("shows each tool's token count, per server and tool, on the debug route", async () => {
    const debug = (await (await fetch(`${satellite.baseUrl}/api/status/debug`)).json()) as {
      teams: Record<
        string,
        Record<
          string,
          Array<{ slug: string; total_tokens: number; tool_tokens: Record<string, number> }>
        >
      >;
    };
    const slack = Object.values(debug.teams.default)
      .flat()
      .find((s) => s.slug === 'slack')!;
    const recorded = (
      JSON.parse(readFileSync(CATALOG, 'utf8')) as Record<string, Array<{ name: string }>>
    ).slack;
    // The tool definitions as the upstream listed them, counted in o200k_base tokens.
    expect(slack.tool_tokens).toEqual(
      Object.fromEntries(recorded.map((t) => [`slack-${t.name}`, countJsonTokens(t)])),
    );
    expect(slack.total_tokens).toBe(
      Object.values(slack.tool_tokens).reduce((sum, n) => sum + n, 0),
    );
  });
});
