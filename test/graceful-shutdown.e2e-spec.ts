// Invariant: SIGTERM during a burst of slow calls loses none of them: readiness turns false, new
// sessions are refused, every call started before the signal completes, and the process exits 0.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, waitFor } from './support/satellite.js';
import { EVERYTHING, freePort, ROOT } from './support/upstreams.js';
import { initializeRequest, postMcp } from './support/mcp-http.js';

const MAIN = resolve(ROOT, 'dist', 'main.js');

describe('graceful shutdown under load', () => {
  it('finishes every call in flight, refuses new sessions, exits 0', async () => {
    if (!existsSync(MAIN))
      throw new Error(`${MAIN} is missing: run "npm run build" first (npm test does)`);
    const dir = mkdtempSync(join(tmpdir(), 'satellite-drain-'));
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } },
      }),
    );
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const child = spawn(process.execPath, [MAIN], {
      env: {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        LOG_LEVEL: 'warn',
        PORT: String(port),
        DEPLOYSTACK_MCP_CONFIG: config,
        DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
        DEPLOYSTACK_SANDBOX: 'none',
        DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
        DEPLOYSTACK_SHUTDOWN_TIMEOUT_MS: '8000',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    await waitFor(
      'ready',
      async () => (await fetch(`${base}/health/ready`).catch(() => undefined))?.ok || undefined,
      30_000,
    );

    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => connectClient(`${base}/mcp`)));
    const calls = clients.map(
      (c) =>
        c.callTool({
          name: 'execute_mcp_tool',
          arguments: {
            tool_path: 'everything-trigger-long-running-operation',
            arguments: { duration: 2, steps: 2 },
          },
        }) as Promise<CallToolResult>,
    );
    await new Promise((r) => setTimeout(r, 300)); // the calls are running upstream
    const t0 = Date.now();
    child.kill('SIGTERM');

    await waitFor(
      'readiness to turn false',
      async () => {
        const res = await fetch(`${base}/health/ready`).catch(() => undefined);
        return res?.status === 503 || undefined;
      },
      5000,
    );
    const refused = await postMcp(`${base}/mcp`, initializeRequest('late', 1));
    expect(refused.status).toBe(503);

    const results = await Promise.all(calls);
    for (const r of results) {
      expect(r.isError).toBeFalsy();
      expect(r.content).toEqual([
        { type: 'text', text: expect.stringContaining('Long running operation completed') },
      ]);
    }
    const code = await exited;
    expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });
    expect(Date.now() - t0).toBeLessThan(8000 + 3000);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }, 60_000);
});
