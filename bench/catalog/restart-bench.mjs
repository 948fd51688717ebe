// Boot → first discover, with and without the persisted catalog: the satellite (dist/main.js, its
// own process) serves one stdio server that answers `initialize` CATALOG_INIT_DELAY_MS late (the
// catalog fixture). Boot 1 has an empty data directory: discover_mcp_tools finds the server's
// tools only once it is up. Boot 2 reuses the data directory: they come from catalog.sqlite.
// Prints, per boot, ms from spawning the process to the first discover answer that lists the
// tools, and to the server online. Usage: npm run bench:catalog (CATALOG_RUNS=3, delay 5000 ms).
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const FIXTURE = resolve(ROOT, 'test', 'fixtures', 'catalog-server.mjs');
const MAIN = resolve(ROOT, 'dist', 'main.js');
const RUNS = Number(process.env.CATALOG_RUNS ?? 3);
const DELAY = Number(process.env.CATALOG_INIT_DELAY_MS ?? 5000);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function boot(dir) {
  const began = Date.now();
  const child = spawn(process.execPath, [MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOST: '127.0.0.1',
      PORT: '0',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp.json'),
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
      DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (c) => (output += c));
  child.stderr.on('data', (c) => (output += c));
  let base;
  while (!(base = /satellite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1])) {
    if (child.exitCode !== null) throw new Error(`the satellite exited:\n${output}`);
    await sleep(10);
  }
  const client = new Client({ name: 'catalog-bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  let firstDiscover;
  let online;
  while (online === undefined) {
    const answer = await client.callTool({
      name: 'discover_mcp_tools',
      arguments: { query: '*', limit: 50 },
    });
    const echo = answer.structuredContent.tools.find((t) => t.tool_path === 'cat-echo');
    if (echo && firstDiscover === undefined) firstDiscover = Date.now() - began;
    if (echo && !echo.server_status) online = Date.now() - began;
    else await sleep(20);
  }
  await client.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return { firstDiscover, online };
}

async function main() {
  console.log(
    `catalog restart bench: node ${process.version}, ${RUNS} runs, a server answering initialize ${DELAY} ms late (medians, ms from spawn)`,
  );
  const rows = { without: [], with: [] };
  for (let i = 0; i < RUNS; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-bench-'));
    writeFileSync(
      join(dir, 'mcp.json'),
      JSON.stringify({
        mcpServers: {
          cat: {
            command: process.execPath,
            args: [FIXTURE],
            env: { INIT_DELAY_MS: String(DELAY) },
          },
        },
      }),
    );
    rows.without.push(await boot(dir)); // empty data directory
    rows.with.push(await boot(dir)); // the catalog stored by the first boot
  }
  for (const [label, xs] of Object.entries(rows)) {
    console.log(
      `${`${label} persisted catalog`.padEnd(28)} first discover with the tools ${String(median(xs.map((x) => x.firstDiscover))).padStart(6)} ms   server online ${String(median(xs.map((x) => x.online))).padStart(6)} ms`,
    );
  }
}

await main();
