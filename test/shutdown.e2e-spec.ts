// Invariant: SIGTERM stops the satellite cleanly (exit 0, within 10 s) and no process it spawned,
// nor any grandchild of a wrapper, is left behind.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { connectClient } from './support/satellite.js';
import { spawnSatellite } from './support/satellite-process.js';
import { EVERYTHING, MEMORY } from './support/upstreams.js';

/** Processes whose environment carries the marker (the satellite's children and their children). */
function processesWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/environ`, 'latin1').includes(marker))
        pids.push(Number(entry));
    } catch {
      // the process ended while we looked, or is not ours
    }
  }
  return pids;
}

describe('shutdown of the real satellite process', () => {
  it('exits 0 on SIGTERM within 10 s and leaves no child or grandchild behind', async () => {
    const marker = `SATELLITE_TEST_MARKER=${randomUUID()}`;
    const [key, value] = marker.split('=') as [string, string];
    const dir = mkdtempSync(join(tmpdir(), 'satellite-shutdown-'));
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          memory: {
            command: process.execPath,
            args: [MEMORY],
            env: { [key]: value, MEMORY_FILE_PATH: join(dir, 'm.jsonl') },
          },
          // A wrapper whose grandchild is the real server (like npx / uvx / sh -c); the trailing
          // command keeps the shell from exec'ing, so there really is a grandchild.
          wrapped: {
            command: '/bin/sh',
            args: ['-c', `"${process.execPath}" "${EVERYTHING}" stdio; exit $?`],
            env: { [key]: value },
          },
        },
      }),
    );
    const { child, base, output, exited } = await spawnSatellite({
      NODE_ENV: 'production',
      LOG_LEVEL: 'warn',
      DEPLOYSTACK_MCP_CONFIG: config,
      DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
      DEPLOYSTACK_SANDBOX: 'none',
      DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    });
    const client = await connectClient(`${base}/mcp`);
    const result = await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'wrapped-echo', arguments: { message: 'hi' } },
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: hi' }]);
    // The memory server, the wrapper shell and its grandchild.
    expect(processesWithMarker(value).length).toBeGreaterThanOrEqual(3);

    const t0 = Date.now();
    child.kill('SIGTERM');
    const code = await exited;
    expect({ code, output: code === 0 ? '' : output() }).toEqual({ code: 0, output: '' });
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(processesWithMarker(value)).toEqual([]);
  }, 60_000);
});
