// Invariant: SIGTERM during a burst of slow calls loses none of them: readiness turns false, new
// sessions are refused, every call started before the signal (MCP or REST) completes, and the
// process exits 0.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, waitFor } from './support/satellite.js';
import { spawnSatellite } from './support/satellite-process.js';
import { EVERYTHING } from './support/upstreams.js';
import { initializeRequest, postMcp } from './support/mcp-http.js';

describe('graceful shutdown under load', () => {
  it('finishes every call in flight, refuses new sessions, exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'satellite-drain-'));
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: { everything: { command: process.execPath, args: [EVERYTHING, 'stdio'] } },
      }),
    );
    const { child, base, output, exited } = await spawnSatellite({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEPLOYSTACK_MCP_CONFIG: config,
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
      DEPLOYSTACK_SHUTDOWN_TIMEOUT_MS: '8000',
    });

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
    // A REST call (docs/rest.md) is waited for like the MCP ones.
    const restCall = fetch(`${base}/api/tools/everything-trigger-long-running-operation/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ duration: 2, steps: 2 }),
    });
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
    const rest = await restCall;
    expect(rest.status).toBe(200);
    const restResult = (await rest.json()) as CallToolResult;
    expect(restResult.isError).toBeFalsy();
    expect(restResult.content).toEqual([
      { type: 'text', text: expect.stringContaining('Long running operation completed') },
    ]);
    const code = await exited;
    expect({ code, output: code === 0 ? '' : output() }).toEqual({ code: 0, output: '' });
    expect(Date.now() - t0).toBeLessThan(8000 + 3000);
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
  }, 60_000);
});
