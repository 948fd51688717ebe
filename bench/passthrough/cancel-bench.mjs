// Cancellation latency through the satellite: an SDK client calls a long-running upstream tool
// through execute_mcp_tool, aborts it, and the upstream records when notifications/cancelled
// arrived. Prints p50/p95/max of (upstream saw it) - (client aborted), over N calls, for the
// satellite running as its own process (dist/main.js) with the probe fixture as a stdio upstream,
// next to the same measurement with the SDK client talking to the probe directly (no satellite).
// Usage: npm run bench:cancel   (N=40 by default: CANCEL_RUNS=100 npm run bench:cancel)
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';

const ROOT = resolve(import.meta.dirname, '..', '..');
const PROBE = resolve(ROOT, 'test', 'fixtures', 'probe-server.mjs');
const RUNS = Number(process.env.CANCEL_RUNS ?? 40);

const text = (r) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
const pct = (xs, p) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];

/** One cancelled call; `call(name, args, opts)` runs a tool on the probe (directly or through the satellite). */
async function once(call) {
  const controller = new AbortController();
  let progress = 0;
  let abortedAt = 0;
  await call(
    'wait_for_cancel',
    {},
    {
      signal: controller.signal,
      onprogress: () => {
        if (++progress === 3) {
          abortedAt = Date.now();
          controller.abort('bench');
        }
      },
    },
  ).catch(() => undefined);
  for (;;) {
    const at = Number(text(await call('last_cancel_at', {})));
    if (at >= abortedAt && at > 0) return at - abortedAt;
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function measure(label, call) {
  await once(call); // warm-up
  const xs = [];
  for (let i = 0; i < RUNS; i++) xs.push(await once(call));
  console.log(
    `${label.padEnd(34)} p50 ${String(pct(xs, 50)).padStart(4)} ms  p95 ${String(pct(xs, 95)).padStart(4)} ms  max ${String(Math.max(...xs)).padStart(4)} ms`,
  );
  return xs;
}

async function main() {
  console.log(
    `cancel bench: node ${process.version}, ${RUNS} cancelled calls each (ms from the client's abort to the upstream seeing notifications/cancelled)`,
  );

  const direct = new Client({ name: 'cancel-bench', version: '1' });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [PROBE] }));
  const directXs = await measure('SDK client → probe (stdio)', (name, args, opts) =>
    direct.callTool({ name, arguments: args }, undefined, opts ?? {}),
  );
  await direct.close();

  const dir = mkdtempSync(join(tmpdir(), 'cancel-bench-'));
  const config = join(dir, 'mcp.json');
  writeFileSync(
    config,
    JSON.stringify({ mcpServers: { probe: { command: process.execPath, args: [PROBE] } } }),
  );
  const child = spawn(process.execPath, [resolve(ROOT, 'dist', 'main.js')], {
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      HOST: '127.0.0.1',
      PORT: '0',
      DEPLOYSTACK_MCP_CONFIG: config,
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const base = await new Promise((res, rej) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /satellite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) res(m[1]);
    });
    child.once('exit', (code) => rej(new Error(`satellite exited with ${code}`)));
  });
  for (;;) {
    if ((await fetch(`${base}/health/ready`).catch(() => undefined))?.ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const client = new Client({ name: 'cancel-bench', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${base}/mcp`)));
  const viaXs = await measure('SDK client → satellite → probe', (name, args, opts) =>
    client.callTool(
      { name: 'execute_mcp_tool', arguments: { tool_path: `probe-${name}`, arguments: args } },
      undefined,
      opts ?? {},
    ),
  );
  await client.close();
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  console.log(
    `added by the satellite: p50 ${pct(viaXs, 50) - pct(directXs, 50)} ms, p95 ${pct(viaXs, 95) - pct(directXs, 95)} ms (target: cancel reaches the upstream within 50 ms)`,
  );
}

await main();
