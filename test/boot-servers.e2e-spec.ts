// Invariant: every configured server comes up at boot, every time. Issue 11's setup, ten times
// over: a server file with a stdio server-memory and a Streamable HTTP server-everything, written
// right before the built satellite starts; an SDK client connects as soon as the satellite
// listens, lists tools and calls discover_mcp_tools every 200 ms. Each boot must end with both
// servers online, their tools discoverable, and GET / and the debug route saying so.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, waitFor } from './support/satellite.js';
import { MAIN } from './support/satellite-process.js';
import { type HttpPeer, MEMORY, ROOT, startEverythingHttp } from './support/upstreams.js';

const BOOTS = 10;

describe('boot: every configured server comes up (issue 11)', () => {
  let everything: HttpPeer;

  beforeAll(async () => {
    if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run "npm run build" first`);
    everything = await startEverythingHttp('streamableHttp');
  }, 30_000);
  afterAll(async () => {
    await everything?.stop();
  });

  /** One boot: resolves with what the client discovered and what the status routes said. */
  async function boot(n: number) {
    const dir = mkdtempSync(join(tmpdir(), `satellite-boot-${n}-`));
    const config = join(dir, 'mcp.json');
    const memoryFile = join(dir, 'memory.jsonl');
    writeFileSync(
      config,
      JSON.stringify({
        mcpServers: {
          memory: {
            command: process.execPath,
            args: [MEMORY],
            env: { MEMORY_FILE_PATH: memoryFile },
          },
          everything: { type: 'streamable-http', url: everything.url },
        },
      }),
    );
    const child = spawn(process.execPath, [MAIN], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOST: '127.0.0.1',
        PORT: '0',
        NODE_ENV: 'test',
        LOG_LEVEL: 'info',
        DEPLOYSTACK_MCP_CONFIG: config,
        DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
        DEPLOYSTACK_SANDBOX: 'none',
        DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
        DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
    try {
      const base = await waitFor(
        'the "listening on" line',
        () => {
          if (child.exitCode !== null) throw new Error(`the satellite exited:\n${output}`);
          return /satellite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
        },
        30_000,
      );
      // At once: no waiting for readiness.
      const client = await connectClient(`${base}/mcp`);
      try {
        await client.listTools();
        const count = async (server: string) => {
          const r = (await client.callTool({
            name: 'discover_mcp_tools',
            arguments: { query: '*', limit: 50, server },
          })) as CallToolResult;
          return (r.structuredContent as { tools: unknown[] }).tools.length;
        };
        let found = { memory: 0, everything: 0 };
        const deadline = Date.now() + 30_000;
        while (Date.now() < deadline) {
          found = { memory: await count('memory'), everything: await count('everything') };
          if (found.memory > 0 && found.everything > 0) break;
          await new Promise((r) => setTimeout(r, 200));
        }
        const summary = (await (await fetch(`${base}/`)).json()) as {
          servers: Record<string, number>;
        };
        const debug = (await (await fetch(`${base}/api/status/debug`)).json()) as {
          teams: Record<string, Record<string, Array<{ slug: string; state: string }>>>;
        };
        const states = Object.fromEntries(
          Object.values(debug.teams)
            .flatMap((t) => Object.values(t).flat())
            .map((s) => [s.slug, s.state]),
        );
        return { found, servers: summary.servers, states, output: () => output };
      } finally {
        await client.close();
      }
    } finally {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it(`${BOOTS} boots: both servers online with their tools every time`, async () => {
    const failures: string[] = [];
    for (let n = 0; n < BOOTS; n++) {
      const r = await boot(n);
      const ok =
        r.found.memory === 9 &&
        r.found.everything > 0 &&
        r.servers.total === 2 &&
        r.servers.online === 2 &&
        r.states.memory === 'online' &&
        r.states.everything === 'online';
      if (!ok) {
        failures.push(
          `boot ${n}: ${JSON.stringify({ found: r.found, servers: r.servers, states: r.states })}\n` +
            r
              .output()
              .split('\n')
              .filter((l) => /memory|everything|applied|→/.test(l))
              .join('\n'),
        );
      }
    }
    expect(failures).toEqual([]);
  }, 300_000);
});
