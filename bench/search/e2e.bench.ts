// End-to-end benchmark of discover_mcp_tools: the real satellite (dist/main.js) serves the 15
// catalog servers as stdio upstreams (replay-server.mjs), and the MCP SDK client queries /mcp.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { countJsonTokens, countTokens } from '../../src/discovery/token-counter.js';
import { CATALOG_FILE, loadCatalog, loadQueries, splitByServer } from './bench-data.js';
import { formatQuality, median, percentile, qualityTable, rankOf, type Ranked } from './metrics.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const MAIN = join(ROOT, 'dist', 'main.js');
const REPLAY = join(import.meta.dirname, 'replay-server.ts');
const CATALOG = CATALOG_FILE;
const BOOT_TIMEOUT_MS = 90_000;

interface DiscoverResult {
  tools: Array<{ tool_path: string; score: number }>;
  total_found: number;
}

async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer();
    srv.once('error', rej);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => res(port));
    });
  });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + BOOT_TIMEOUT_MS;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function startSatellite(port: number, configPath: string, dataDir: string): ChildProcess {
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env['PATH'] ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'error',
      HOST: '127.0.0.1',
      PORT: String(port),
      DEPLOYSTACK_MCP_CONFIG: configPath,
      DEPLOYSTACK_DATA_DIR: dataDir,
      // The replay servers are our own code; the benchmark measures search, not sandboxing.
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  child.once('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM')
      process.stderr.write(`satellite exited: ${code ?? signal}\n`);
  });
  return child;
}

async function discover(client: Client, query: string, limit: number) {
  const result = await client.callTool({ name: 'discover_mcp_tools', arguments: { query, limit } });
  return { result, structured: result.structuredContent as DiscoverResult };
}

async function main(): Promise<void> {
  const catalog = loadCatalog();
  const queries = loadQueries();
  const split = splitByServer(queries, catalog);
  const toolCount = Object.values(catalog).reduce((n, t) => n + t.length, 0);
  const dir = mkdtempSync(join(tmpdir(), 'bench-search-'));
  const configPath = join(dir, 'mcp.json');
  const mcpServers = Object.fromEntries(
    Object.keys(catalog).map((slug) => [
      slug,
      { command: process.execPath, args: ['--experimental-strip-types', REPLAY, CATALOG, slug] },
    ]),
  );
  writeFileSync(configPath, JSON.stringify({ mcpServers }, null, 2));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = Date.now();
  const child = startSatellite(port, configPath, join(dir, 'data'));
  const client = new Client({ name: 'bench-search', version: '1.0.0' });
  try {
    await until('/health/ready', async () =>
      (await fetch(`${base}/health/ready`)).ok ? true : undefined,
    );
    await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
    await until(`all ${toolCount} tools in the catalog`, async () => {
      const { structured } = await discover(client, '*', 1);
      return structured.total_found >= toolCount ? true : undefined;
    });
    console.log(
      `\n## End to end over /mcp: ${queries.length} queries, ${toolCount} tools, ${Object.keys(catalog).length} stdio upstreams`,
    );
    console.log(
      `(satellite ready with every tool after ${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
    );

    for (const q of queries.slice(0, 10)) await discover(client, q.query, 10); // warm-up
    const ranked: Ranked[] = [];
    const latencies: number[] = [];
    for (const query of queries) {
      const t0 = performance.now();
      const { structured } = await discover(client, query.query, 10);
      latencies.push(performance.now() - t0);
      const returned = structured.tools.map((t) => t.tool_path);
      ranked.push({ query, rank: rankOf(returned, query.expected), returned });
    }
    console.log(formatQuality(qualityTable(ranked, split.isHeldOut)));
    console.log(
      `\ndiscover_mcp_tools round trip (SDK client → /mcp → answer), limit 10: p50 ${percentile(latencies, 50).toFixed(2)} ms, p95 ${percentile(latencies, 95).toFixed(2)} ms`,
    );

    const answerTokens: number[] = [];
    for (const q of queries) {
      const { result } = await discover(client, q.query, 5);
      const text =
        (result.content as Array<{ type: string; text?: string }>).find((c) => c.type === 'text')
          ?.text ?? '';
      answerTokens.push(countTokens(text));
    }
    const listed = await client.listTools();
    const metaTokens = countJsonTokens(listed);
    const fullTokens = countJsonTokens({ tools: Object.values(catalog).flat() });
    console.log('\n## Tokens over /mcp (o200k_base)\n');
    console.log(
      `- \`limit: 5\` answer (its JSON text content): median ${median(answerTokens)}, p95 ${percentile(answerTokens, 95)}, max ${Math.max(...answerTokens)}`,
    );
    console.log(`- tools/list of /mcp: ${listed.tools.length} tools, ${metaTokens} tokens`);
    console.log(`- tools/list of the whole catalog: ${toolCount} tools, ${fullTokens} tokens`);
    console.log(`- ratio: ${((100 * metaTokens) / fullTokens).toFixed(2)}%`);

    // discover → execute: the top hit of a query is callable through execute_mcp_tool.
    const { structured } = await discover(client, 'run a read-only SQL query', 1);
    const top = structured.tools[0].tool_path;
    const executed = await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: top, arguments: { sql: 'SELECT 1' } },
    });
    const text = (executed.content as Array<{ text?: string }>)[0]?.text ?? '';
    console.log(`\ndiscover → execute: top hit ${top} answered "${text}"`);
  } finally {
    await client.close().catch(() => undefined);
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once('exit', r)));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
