// Invariant: /metrics is valid Prometheus text and its figures move with traffic.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { connectClient, type Satellite, startSatellite } from './support/satellite.js';
import { EVERYTHING, stdioEntry } from './support/upstreams.js';

interface Family {
  name: string;
  type: string;
  metrics: Array<{
    labels?: Record<string, string>;
    value?: string;
    count?: string;
    buckets?: Record<string, string>;
  }>;
}

describe('/metrics', () => {
  let sat: Satellite;
  beforeAll(async () => {
    sat = await startSatellite({ everything: stdioEntry(EVERYTHING, ['stdio']) });
  }, 60_000);
  afterAll(() => sat?.stop());

  let lastText = '';
  const scrape = async (): Promise<Map<string, Family>> => {
    const res = await fetch(`${sat.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    lastText = await res.text();
    const families = parsePrometheusTextFormat(lastText) as Family[];
    return new Map(families.map((f) => [f.name, f]));
  };
  const sum = (f: Family | undefined, match: Record<string, string> = {}) =>
    (f?.metrics ?? [])
      .filter((m) => Object.entries(match).every(([k, v]) => m.labels?.[k] === v))
      .reduce((acc, m) => acc + Number(m.value ?? m.count ?? 0), 0);

  it('parses, and its counters move with sessions, discover and execute calls', async () => {
    const before = await scrape();
    expect(before.get('satellite_build_info')?.metrics[0]?.labels?.version).toBeDefined();
    expect(sum(before.get('satellite_upstreams'), { transport: 'stdio', status: 'online' })).toBe(
      1,
    );
    expect(sum(before.get('satellite_tools'))).toBeGreaterThan(10);

    const client = await connectClient(sat.mcpUrl);
    await client.callTool({ name: 'discover_mcp_tools', arguments: { query: 'echo' } });
    await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'everything-echo', arguments: { message: 'm' } },
    });
    await client.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'everything-get-sum', arguments: { a: 'x' } },
    });
    const during = await scrape();
    await (client.transport as StreamableHTTPClientTransport).terminateSession();
    await client.close();
    const after = await scrape();

    expect(sum(during.get('satellite_sessions_open'))).toBe(
      sum(before.get('satellite_sessions_open')) + 1,
    );
    expect(sum(after.get('satellite_sessions_created_total'))).toBe(
      sum(before.get('satellite_sessions_created_total')) + 1,
    );
    expect(
      sum(after.get('satellite_sessions_closed_total'), { reason: 'deleted' }),
    ).toBeGreaterThanOrEqual(1);
    expect(lastText).toMatch(/^satellite_discover_duration_seconds_count 1$/m);
    expect(
      sum(after.get('satellite_tool_calls_total'), {
        server: 'everything',
        tool: 'echo',
        outcome: 'ok',
      }),
    ).toBe(1);
    expect(
      sum(after.get('satellite_tool_calls_total'), {
        server: 'everything',
        tool: 'get-sum',
        outcome: 'error',
      }),
    ).toBe(1);
    // The parser folds labelled histogram series together; read the _count series from the text.
    expect(lastText).toMatch(
      /^satellite_tool_call_duration_seconds_count\{server="everything",tool="echo"\} 1$/m,
    );
    expect(lastText).toMatch(
      /^satellite_tool_call_duration_seconds_count\{server="everything",tool="get-sum"\} 1$/m,
    );
    expect(
      sum(after.get('satellite_http_requests_total'), {
        method: 'POST',
        route: '/mcp',
        status: '200',
      }),
    ).toBeGreaterThanOrEqual(4);
    expect(sum(after.get('satellite_processes'), { state: 'running' })).toBe(1);
  });
});
