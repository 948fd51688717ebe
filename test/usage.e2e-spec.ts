// Invariant: every tool call, on /mcp and on /i/{slug}/mcp, is counted once per tool, server, team
// and client with its latency, bytes and tokens; the figures survive a process restart on the same
// data directory (the shutdown flush loses nothing); GET /api/usage filters by server, team and
// since and shows a caller only its teams; /metrics has the usage series with bounded labels.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { countJsonTokens } from '../src/discovery/token-counter.js';
import { META_TOOLS } from '../src/router/meta-tools.js';
import type { UsageReport } from '../src/usage/usage-call.js';
import { waitFor } from './support/satellite.js';
import { type SatelliteProcess, spawnSatellite } from './support/satellite-process.js';
import { EVERYTHING, stdioEntry } from './support/upstreams.js';
import { connectWithToken, EXECUTE, type TokenGrant, writeTokensFile } from './security/support.js';

const ADMIN: TokenGrant = {
  token: 'tok-usage-admin-0123456789',
  principal: 'admin',
  teams: ['red', 'blue'],
  scopes: [EXECUTE],
};
const RED: TokenGrant = {
  token: 'tok-usage-red-0123456789',
  principal: 'reader',
  teams: ['red'],
  scopes: [EXECUTE],
};

/** A fixed start, so a report before and after the restart covers the same hours. */
const SINCE = new Date(Date.now() - 3_600_000).toISOString();

interface Family {
  name: string;
  metrics: Array<{ labels?: Record<string, string>; value?: string }>;
}

describe('usage figures (the built satellite, restarted on its data directory)', () => {
  let dir: string;
  let sat: SatelliteProcess | undefined;
  const clients: Client[] = [];

  const env = (extra: Record<string, string> = {}) => ({
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DEPLOYSTACK_SANDBOX: 'none',
    DEPLOYSTACK_ALLOW_UNSANDBOXED: 'true',
    DEPLOYSTACK_MCP_CONFIG: join(dir, 'mcp.json'),
    DEPLOYSTACK_DATA_DIR: join(dir, 'data'),
    DEPLOYSTACK_AUTH: 'tokens',
    DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
    DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE: 'true',
    ...extra,
  });
  const get = async (path: string, token: string | null = ADMIN.token) => {
    const res = await fetch(`${sat!.base}${path}`, {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
    return { status: res.status, body: await res.json() };
  };
  const usage = async (query = '', token = ADMIN.token) => {
    const res = await get(`/api/usage${query}`, token);
    expect(res.status).toBe(200);
    return res.body as UsageReport;
  };
  const execute = (c: Client, toolPath: string, args: Record<string, unknown>) =>
    c.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: toolPath, arguments: args },
    }) as Promise<CallToolResult>;
  const stop = async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    if (sat && sat.child.exitCode === null) {
      sat.child.kill('SIGTERM');
      expect(await sat.exited).toBe(0);
    }
    sat = undefined;
  };
  const start = async (extra: Record<string, string> = {}) => {
    sat = await spawnSatellite(env(extra));
    await waitFor(
      'both servers discovered',
      async () => ((await get('/')).body as { tools: number }).tools > 20 || undefined,
      60_000,
    );
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-usage-'));
    writeTokensFile(join(dir, 'tokens.json'), [ADMIN, RED]);
    writeFileSync(
      join(dir, 'mcp.json'),
      JSON.stringify({
        mcpServers: {
          red: stdioEntry(EVERYTHING, ['stdio'], { team: 'red' }),
          blue: stdioEntry(EVERYTHING, ['stdio'], { team: 'blue' }),
        },
      }),
    );
    // No scheduler: nothing is written before shutdown, so the restart proves the shutdown flush.
    await start({ DEPLOYSTACK_SCHEDULER_ENABLED: 'false' });
  }, 90_000);

  afterAll(async () => {
    await stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  let before: UsageReport;

  it('counts calls and errors per tool, server, team and client, with p50/p95, bytes and tokens', async () => {
    const meta = await connectWithToken(`${sat!.base}/mcp`, ADMIN.token, 'alpha-agent');
    const direct = await connectWithToken(`${sat!.base}/i/blue/mcp`, ADMIN.token, 'beta-agent');
    clients.push(meta, direct);
    await meta.listTools();
    const found = (await meta.callTool({
      name: 'discover_mcp_tools',
      arguments: { query: 'echo' },
    })) as CallToolResult;
    const echoes: CallToolResult[] = [];
    for (const message of ['one', 'two', 'three'])
      echoes.push(await execute(meta, 'red-echo', { message }));
    const failed = await execute(meta, 'red-get-sum', { a: 'not a number' });
    expect(failed.isError).toBe(true);
    // Unknown paths reach no server and are not counted.
    expect((await execute(meta, 'red-no-such-tool', {})).isError).toBe(true);
    const directResults = [
      await direct.callTool({ name: 'echo', arguments: { message: 'direct' } }),
      await direct.callTool({ name: 'get-sum', arguments: { a: 2, b: 3 } }),
    ];

    const report = await usage();
    const bytes = (results: unknown[]) =>
      results.reduce<number>((n, r) => n + Buffer.byteLength(JSON.stringify(r)), 0);
    const redEcho = report.tools.find((t) => t.tool_path === 'red-echo')!;
    expect(redEcho).toEqual({
      tool_path: 'red-echo',
      server: 'red',
      calls: 3,
      errors: 0,
      p50_ms: expect.any(Number),
      p95_ms: expect.any(Number),
      bytes_returned: bytes(echoes),
      tokens_returned: echoes.reduce(
        (n, r) => n + Math.ceil(Buffer.byteLength(JSON.stringify(r)) / 4),
        0,
      ),
    });
    expect(redEcho.p95_ms).toBeGreaterThanOrEqual(redEcho.p50_ms);
    expect(redEcho.p50_ms).toBeGreaterThanOrEqual(0);
    expect(report.tools[0]).toBe(report.tools.find((t) => t.calls === 3));
    expect(report.tools.map((t) => [t.tool_path, t.calls, t.errors])).toEqual([
      ['red-echo', 3, 0],
      ['blue-echo', 1, 0],
      ['blue-get-sum', 1, 0],
      ['red-get-sum', 1, 1],
    ]);
    expect(report.tools.find((t) => t.tool_path === 'blue-echo')!.bytes_returned).toBe(
      bytes([directResults[0]]),
    );
    expect(report.servers.map((s) => [s.server, s.calls, s.errors])).toEqual([
      ['red', 4, 1],
      ['blue', 2, 0],
    ]);
    for (const s of report.servers) expect(s.p95_ms).toBeGreaterThanOrEqual(s.p50_ms);
    expect(report.teams).toEqual([
      { team: 'red', calls: 4, errors: 1 },
      { team: 'blue', calls: 2, errors: 0 },
    ]);
    expect(report.clients).toEqual([
      { client: 'alpha-agent', calls: 4, errors: 1 },
      { client: 'beta-agent', calls: 2, errors: 0 },
    ]);

    // Tokens saved by the one meta-tool session: every tool it may use, less the two meta-tool
    // definitions and the definitions of the tools its discover answer returned (docs/usage.md
    // "Tokens saved"). Both servers are server-everything: the direct endpoint lists the same
    // definitions the catalog counted.
    const debug = (await get('/api/status/debug')).body as {
      teams: Record<string, Record<string, Array<{ total_tokens: number }>>>;
    };
    const allTools = Object.values(debug.teams)
      .flatMap((byTransport) => Object.values(byTransport).flat())
      .reduce((n, s) => n + s.total_tokens, 0);
    const metaTools = META_TOOLS.reduce((n, t) => n + countJsonTokens(t), 0);
    const definitions = (await direct.listTools()).tools;
    const hits = (found.structuredContent as { tools: Array<{ tool_path: string }> }).tools;
    expect(hits.length).toBeGreaterThan(0);
    const answerTokens = hits.reduce((n, hit) => {
      const name = hit.tool_path.replace(/^(red|blue)-/, '');
      return n + countJsonTokens(definitions.find((d) => d.name === name));
    }, 0);
    expect(report.tokens_saved).toEqual({
      sessions: 1,
      tokens: allTools - metaTools - answerTokens,
    });
    expect(report.tokens_saved.tokens).toBeGreaterThan(0);
    before = report;
  }, 60_000);

  it('filters by server, team and since, and shows a caller only its teams', async () => {
    const red = await usage('?server=red');
    expect(red.tools.map((t) => t.server)).toEqual(['red', 'red']);
    expect(red.servers.map((s) => s.server)).toEqual(['red']);
    const blue = await usage('?team=blue');
    expect(blue.teams).toEqual([{ team: 'blue', calls: 2, errors: 0 }]);
    expect(blue.clients).toEqual([{ client: 'beta-agent', calls: 2, errors: 0 }]);
    const future = await usage(`?since=${new Date(Date.now() + 2 * 3_600_000).toISOString()}`);
    expect(future.tools).toEqual([]);
    expect(future.tokens_saved).toEqual({ sessions: 0, tokens: 0 });
    const past = await usage(`?since=${new Date(Date.now() - 3 * 3_600_000).toISOString()}`);
    expect(past.tools).toEqual(before.tools);

    const reader = await usage('', RED.token);
    expect(reader.teams).toEqual([{ team: 'red', calls: 4, errors: 1 }]);
    expect(reader.servers.map((s) => s.server)).toEqual(['red']);
    expect(await usage('?team=blue', RED.token)).toMatchObject({ tools: [], teams: [] });

    expect((await get('/api/usage', null)).status).toBe(401);
    const bad = await get('/api/usage?since=yesterday');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toContain('since must be a valid ISO 8601 date string');
    expect((await get('/api/usage?color=red')).status).toBe(400);
    const openapi = (await get('/documentation-json', null)).body as {
      paths: Record<string, { get?: { parameters?: Array<{ name: string }> } }>;
    };
    expect(openapi.paths['/api/usage']?.get?.parameters?.map((p) => p.name).sort()).toEqual([
      'server',
      'since',
      'team',
    ]);
  }, 60_000);

  it('exposes usage series on /metrics whose client label is capped', async () => {
    // 22 more clients, each with its own name: past 20 names the label is "other".
    for (let i = 0; i < 22; i++) {
      const c = await connectWithToken(`${sat!.base}/mcp`, ADMIN.token, `bulk-client-${i}`);
      clients.push(c);
      await execute(c, 'blue-echo', { message: `m${i}` });
    }
    const text = await (await fetch(`${sat!.base}/metrics`)).text();
    const families = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f]));
    const calls = families.get('satellite_usage_tool_calls_total')!.metrics;
    const clientLabels = new Set(calls.map((m) => m.labels!.client));
    expect(clientLabels.size).toBe(21);
    expect(clientLabels).toContain('other');
    const sum = (match: Record<string, string>) =>
      calls
        .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
        .reduce((n, m) => n + Number(m.value), 0);
    expect(sum({ server: 'red', outcome: 'error' })).toBe(1);
    expect(sum({ server: 'blue' })).toBe(24);
    expect(sum({})).toBe(28);
    expect(
      Number(families.get('satellite_usage_returned_bytes_total')!.metrics[0].value),
    ).toBeGreaterThan(0);
    expect(families.get('satellite_usage_meta_sessions_total')!.metrics[0].value).toBe('23');
    // Nothing was written yet (no scheduler, no full buffer): all of it is in memory.
    const db = new DatabaseSync(join(dir, 'data', 'usage.sqlite'), { readOnly: true });
    expect(db.prepare('SELECT count(*) AS n FROM tool_usage').get()).toEqual({ n: 0 });
    db.close();
    before = await usage(`?since=${SINCE}`);
  }, 120_000);

  it('keeps every figure across a restart on the same data directory', async () => {
    await stop();
    await start();
    const after = await usage(`?since=${SINCE}`);
    expect({ ...after, until: undefined }).toEqual({ ...before, until: undefined });
    expect(after.clients.find((c) => c.client === 'bulk-client-21')).toEqual({
      client: 'bulk-client-21',
      calls: 1,
      errors: 0,
    });
  }, 120_000);
});
