// Era benchmark (npm run bench:era): what a tools/call costs through the satellite in each
// protocol era, on /mcp (execute_mcp_tool) and on a direct endpoint (tools/call echo), with the
// same upstream (server-everything over Streamable HTTP on loopback, its own process) and
// BENCH_CLIENTS clients (default 4) calling back to back for BENCH_SECONDS per row (default 5).
//   2025-11-25  the SDK v1 client, one session each (the session transport)
//   2026-07-28  the SDK v2 client (versionNegotiation auto): a fresh SDK v2 server per request
// Prints calls/s, p50, p99 and the satellite's CPU time per call (user + system, from /proc),
// the figure a busy neighbour moves least; then what the era decision alone costs an old-era
// POST in process: the SDK's isLegacyRequest, and the pre-check (src/mcp/era.ts) that spares
// old-era POSTs the SDK call.
// The machines are shared and noisy: read the ratios, not the absolute figures.
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import { isLegacyRequest } from '@modelcontextprotocol/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { cpuMs, freePort } from '../support/bench-tools.mjs';

const ROOT = resolve(import.meta.dirname, '..', '..');
const EVERYTHING = resolve(
  ROOT,
  'node_modules/@modelcontextprotocol/server-everything/dist/index.js',
);
const LOOPBACK_ONLY = resolve(ROOT, 'test', 'support', 'loopback-only.mjs');
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 4);
const children = [];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function start(label, args, env, pattern) {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  return new Promise((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`${label} did not start:\n${out}`)), 60_000);
    const onData = (c) => {
      if (out === null) return;
      out += c;
      const m = pattern.exec(out);
      if (m) {
        clearTimeout(timer);
        out = null;
        res({ child, port: Number(m[1]) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => rej(new Error(`${label} exited with ${code}:\n${out ?? ''}`)));
  });
}

async function connect(era, url) {
  if (era === 'old') {
    const client = new Client({ name: 'era-bench', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(url)));
    return client;
  }
  const client = new ModernClient(
    { name: 'era-bench', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(new ModernTransport(new URL(url)));
  return client;
}

async function measure(era, url, call, pid) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(era, url)));
  const warmUntil = performance.now() + 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < warmUntil) await call(c);
    }),
  );
  const latencies = [];
  const cpu0 = cpuMs(pid);
  const t0 = performance.now();
  const until = t0 + SECONDS * 1000;
  await Promise.all(
    clients.map(async (c) => {
      while (performance.now() < until) {
        const s = performance.now();
        const r = await call(c);
        if (r.isError) throw new Error(`call failed: ${JSON.stringify(r)}`);
        latencies.push(performance.now() - s);
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  const cpu = cpuMs(pid) - cpu0;
  await Promise.all(clients.map((c) => c.close()));
  latencies.sort((a, b) => a - b);
  const pct = (p) =>
    latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))];
  return {
    rate: latencies.length / elapsed,
    p50: pct(50),
    p99: pct(99),
    cpuPerCall: cpu / latencies.length,
  };
}

async function main() {
  console.log(
    `era bench: ${new Date().toISOString()}, node ${process.version}; ${CLIENTS} clients × ${SECONDS} s per row`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'era-bench-'));
  const upstream = await start(
    'server-everything',
    ['--import', LOOPBACK_ONLY, EVERYTHING, 'streamableHttp'],
    { PORT: String(await freePort()) },
    /listening on port (\d+)/i,
  );
  const config = join(dir, 'mcp.json');
  writeFileSync(
    config,
    JSON.stringify({
      mcpServers: { everything: { type: 'http', url: `http://127.0.0.1:${upstream.port}/mcp` } },
    }),
  );
  const sat = await start(
    'satellite',
    [resolve(ROOT, 'dist', 'main.js')],
    {
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      PORT: '0',
      DEPLOYSTACK_MCP_CONFIG: config,
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
      LOG_LEVEL: 'warn',
    },
    /satellite listening on http:\/\/127\.0\.0\.1:(\d+)/,
  );
  const base = `http://127.0.0.1:${sat.port}`;
  for (;;) {
    if ((await fetch(`${base}/health/ready`).catch(() => undefined))?.ok) break;
    await sleep(50);
  }
  const meta = (c) =>
    c.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'everything-echo', arguments: { message: 'bench' } },
    });
  const direct = (c) => c.callTool({ name: 'echo', arguments: { message: 'bench' } });
  const rows = [];
  for (const [label, era, path, call] of [
    ['/mcp execute_mcp_tool   2025-11-25', 'old', '/mcp', meta],
    ['/mcp execute_mcp_tool   2026-07-28', 'new', '/mcp', meta],
    ['/i/everything/mcp echo  2025-11-25', 'old', '/i/everything/mcp', direct],
    ['/i/everything/mcp echo  2026-07-28', 'new', '/i/everything/mcp', direct],
  ]) {
    rows.push([label, await measure(era, `${base}${path}`, call, sat.child.pid)]);
  }
  console.log(
    '\nrow                                 calls/s    p50 ms   p99 ms   satellite CPU ms/call',
  );
  for (const [label, r] of rows) {
    console.log(
      `${label.padEnd(36)}${r.rate.toFixed(0).padStart(7)}${r.p50.toFixed(2).padStart(10)}` +
        `${r.p99.toFixed(2).padStart(9)}${r.cpuPerCall.toFixed(3).padStart(14)}`,
    );
  }

  // The era decision on an old-era POST (what the 2025-11-25 path pays for the branch).
  const body = {
    jsonrpc: '2.0',
    id: 7,
    method: 'tools/call',
    params: { name: 'echo', arguments: { message: 'bench' } },
  };
  const headers = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': '2025-11-25',
  };
  const n = 20_000;
  for (let i = 0; i < 2000; i++)
    await isLegacyRequest(new Request('http://x/mcp', { method: 'POST', headers }), body);
  const t0 = performance.now();
  for (let i = 0; i < n; i++)
    await isLegacyRequest(new Request('http://x/mcp', { method: 'POST', headers }), body);
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(
    `\nera decision on an old-era POST, the SDK's own (new Request + isLegacyRequest): ${us.toFixed(1)} µs`,
  );
  // What the satellite runs first (src/mcp/era.ts): the SDK is asked only when this says maybe.
  const { mayBeModern } = await import(resolve(ROOT, 'dist', 'mcp', 'era.js'));
  let maybe = 0;
  const m = 1_000_000;
  const t1 = performance.now();
  for (let i = 0; i < m; i++) if (mayBeModern(headers, body)) maybe++;
  const ns = ((performance.now() - t1) * 1e6) / m;
  console.log(
    `the satellite's pre-check (mayBeModern) on the same POST: ${ns.toFixed(0)} ns (said maybe: ${maybe})`,
  );
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of children) c.kill('SIGTERM');
  });
