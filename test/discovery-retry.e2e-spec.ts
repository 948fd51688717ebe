// Invariant: a remote (HTTP/SSE) server that is down when the satellite starts is retried with
// capped backoff until it answers; meanwhile it shows `error` with its reason and the retry state
// (debug route), and once up its tools are discovered and callable. A removed server is no longer
// retried.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { UpstreamManagerService } from '../src/discovery/upstream-manager.service.js';
import { connectClient, type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { freePort, type HttpPeer, startEverythingHttp } from './support/upstreams.js';

interface DebugServer {
  slug: string;
  status: string;
  last_error?: string;
  tools: string[];
  discovery_retry?: {
    failed_attempts: number;
    next_retry_at: string;
    next_retry_in_ms: number;
    last_error: string;
  };
}

describe('a remote server that is down at start', () => {
  let sat: Satellite;
  let client: Client;
  let peer: HttpPeer | undefined;
  let late: Record<string, unknown>;
  let gone: Record<string, unknown>;
  let onlineAt = 0;

  beforeAll(async () => {
    late = { type: 'http', url: `http://127.0.0.1:${await freePort()}/mcp` };
    gone = { type: 'sse', url: `http://127.0.0.1:${await freePort()}/sse` };
    sat = await startSatellite({ late, gone });
    onlineAt = Date.now();
    client = await connectClient(sat.mcpUrl);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sat?.stop();
    await peer?.stop();
  });

  const debugServer = async (slug: string): Promise<DebugServer | undefined> => {
    const debug = (await (await fetch(`${sat.baseUrl}/api/status/debug`)).json()) as {
      teams: Record<string, Record<string, DebugServer[]>>;
    };
    return Object.values(debug.teams)
      .flatMap((t) => Object.values(t).flat())
      .find((s) => s.slug === slug);
  };

  it('stays in error with its reason and shows the retry state', async () => {
    // Several failed attempts in a row: the satellite keeps trying on its own.
    const server = await waitFor(
      'a third failed attempt',
      async () => {
        const s = await debugServer('late');
        return (s?.discovery_retry?.failed_attempts ?? 0) >= 3 ? s : undefined;
      },
      60_000,
    );
    expect(server.status).toBe('error');
    expect(server.last_error).toEqual(expect.any(String));
    expect(server.tools).toEqual([]);
    expect(server.discovery_retry).toEqual({
      failed_attempts: expect.any(Number),
      next_retry_at: expect.any(String),
      next_retry_in_ms: expect.any(Number),
      last_error: server.last_error,
    });
    expect(Number.isNaN(Date.parse(server.discovery_retry!.next_retry_at))).toBe(false);
    expect((await debugServer('gone'))?.discovery_retry).toBeDefined();
  }, 90_000);

  it('stops retrying a server that is removed, and leaves the others alone', async () => {
    const before = (await debugServer('late'))!.discovery_retry!.failed_attempts;
    sat.writeConfig({ late });
    await waitFor('gone removed', async () => ((await debugServer('gone')) ? undefined : true));
    const upstreams = sat.app.get(UpstreamManagerService);
    expect(upstreams.get('gone')).toBeUndefined();
    // `late` was not touched by the edit: still retrying, its count not reset.
    expect((await debugServer('late'))!.discovery_retry!.failed_attempts).toBeGreaterThanOrEqual(
      before,
    );
  });

  it('discovers it once it comes up, within the retry cap, and its tools are callable', async () => {
    // The scenario: the upstream comes up some 5 s after the satellite (not a timing assertion).
    await new Promise((r) => setTimeout(r, Math.max(0, onlineAt + 5_000 - Date.now())));
    peer = await startEverythingHttp('streamableHttp', Number(new URL(late.url as string).port));
    const server = await waitFor(
      'late online',
      async () => {
        const s = await debugServer('late');
        return s?.status === 'online' ? s : undefined;
      },
      // The longest wait is the 60 s cap, plus the attempt itself.
      90_000,
    );
    expect(server.discovery_retry).toBeUndefined();
    expect(server.last_error).toBeUndefined();
    expect(server.tools).toContain('late-echo');

    const r = (await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'late-echo', arguments: { message: 'back' } },
    })) as CallToolResult;
    expect(r.isError).toBeFalsy();
    expect(r.content).toEqual([{ type: 'text', text: 'Echo: back' }]);
  }, 120_000);
});
