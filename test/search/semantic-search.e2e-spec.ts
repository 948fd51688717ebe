// Invariant: with DEPLOYSTACK_EMBEDDINGS_* set, discover_mcp_tools fuses embedding similarity into
// the ranking through the real satellite, and a failing endpoint leaves the lexical search working.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectClient, type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { ROOT, stdioEntry } from '../support/upstreams.js';

const REPLAY = resolve(ROOT, 'bench', 'search', 'replay-server.ts');
const CATALOG = resolve(ROOT, 'bench', 'data', 'tool-search', 'dev-catalog.json');
const API_KEY = 'sk-e2e-embeddings-key';

/**
 * A fake OpenAI-compatible embeddings model with two dimensions: texts about posting a Slack
 * message, and the made-up word "quokka", point one way; everything else the other. No word of
 * the catalog is "quokka", so only the semantic stage can rank the Slack tool for it.
 */
function fakeEmbedding(text: string): number[] {
  const t = text.toLowerCase();
  return t.includes('quokka') || t.includes('slack post message') ? [1, 0.01] : [0.01, 1];
}

let endpoint: Server;
let failing = false;
const authorizations = new Set<string | undefined>();
const models = new Set<string>();
let satellite: Satellite;
let client: Client;

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

async function discover(query: string): Promise<string[]> {
  const result = await client.callTool({
    name: 'discover_mcp_tools',
    arguments: { query, limit: 3 },
  });
  return (result.structuredContent as { tools: Array<{ tool_path: string }> }).tools.map(
    (t) => t.tool_path,
  );
}

async function semanticState(): Promise<string> {
  const status = (await (await fetch(`${satellite.baseUrl}/`)).json()) as {
    search: { semantic: string; tools_embedded?: number };
  };
  return status.search.semantic;
}

beforeAll(async () => {
  endpoint = createServer((req, res) => {
    void readBody(req).then((raw) => {
      authorizations.add(req.headers.authorization);
      const body = JSON.parse(raw) as { model: string; input: string[] };
      models.add(body.model);
      if (req.url !== '/v1/embeddings' || failing) {
        res.writeHead(failing ? 503 : 404).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          object: 'list',
          data: body.input.map((t, index) => ({ index, embedding: fakeEmbedding(t) })),
        }),
      );
    });
  });
  await new Promise<void>((r) => endpoint.listen(0, '127.0.0.1', r));
  const { port } = endpoint.address() as AddressInfo;
  satellite = await startSatellite(
    Object.fromEntries(
      ['slack', 'github'].map((s) => [
        s,
        stdioEntry('--experimental-strip-types', [REPLAY, CATALOG, s]),
      ]),
    ),
    {
      DEPLOYSTACK_EMBEDDINGS_URL: `http://127.0.0.1:${port}/v1`,
      DEPLOYSTACK_EMBEDDINGS_MODEL: 'fake-embed-2d',
      DEPLOYSTACK_EMBEDDINGS_API_KEY: API_KEY,
    },
  );
  client = await connectClient(satellite.mcpUrl);
  // Both upstreams discovered and every tool embedded (8 Slack + 26 GitHub tools).
  await waitFor('every tool embedded', async () => {
    const status = (await (await fetch(`${satellite.baseUrl}/`)).json()) as {
      search: { tools_embedded?: number };
    };
    return (status.search.tools_embedded ?? 0) >= 34 ? true : undefined;
  });
}, 60_000);

afterAll(async () => {
  await client?.close();
  await satellite?.stop();
  endpoint?.closeAllConnections();
  await new Promise((r) => endpoint?.close(r));
});

describe('discover_mcp_tools with an embeddings endpoint', () => {
  it('ranks by meaning what no word of the catalog matches, and the hit executes', async () => {
    expect(await semanticState()).toBe('ready');
    const [top] = await discover('quokka');
    expect(top).toBe('slack-slack_post_message');
    const result = await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: top, arguments: { channel_id: 'C1', text: 'hi' } },
    });
    expect(result.content).toEqual([
      { type: 'text', text: 'replayed slack/slack_post_message {"channel_id":"C1","text":"hi"}' },
    ]);
    expect([...models]).toEqual(['fake-embed-2d']);
    expect([...authorizations]).toEqual([`Bearer ${API_KEY}`]);
  });

  it('falls back to the lexical ranking while the endpoint fails', async () => {
    failing = true;
    try {
      // A query not embedded before: its vector would need the endpoint.
      expect(await discover('a quokka again')).not.toContain('slack-slack_post_message');
      expect(await semanticState()).toBe('failing');
      // A query embedded before keeps its vector (the query LRU) and still ranks by meaning.
      expect((await discover('quokka'))[0]).toBe('slack-slack_post_message');
      // Lexical ranking still answers: a tool's exact name ranks it first.
      expect((await discover('slack_list_channels'))[0]).toBe('slack-slack_list_channels');
    } finally {
      failing = false;
    }
  });

  it('never shows the API key on the status routes', async () => {
    for (const route of ['/', '/api/status/debug']) {
      const text = await (await fetch(`${satellite.baseUrl}${route}`)).text();
      expect(text).not.toContain(API_KEY);
    }
  });
});
