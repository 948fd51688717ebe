// Invariant: one principal cannot take what others need. Past its session cap, its tool calls per
// minute or its GET streams per session it gets HTTP 429 with Retry-After (a JSON-RPC error body);
// past its calls at once, a JSON-RPC error inside the stream; another principal keeps working,
// and every refusal is counted in /metrics. REST calls (/api/tools) draw on the same budgets and
// are refused with 429 problems.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { initializeRequest, postMcp } from '../support/mcp-http.js';
import { type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import { EVERYTHING, stdioEntry } from '../support/upstreams.js';
import {
  connectSseWithToken,
  connectWithToken,
  EXECUTE,
  type TokenGrant,
  writeTokensFile,
} from './support.js';

const grant = (principal: string): TokenGrant => ({
  token: `tok-${principal}-0123456789`,
  principal,
  scopes: [EXECUTE],
});
const [ALICE, BOB, RATE, CONC, STREAM, LEGACY, REST_RATE, REST_CONC] = [
  'alice',
  'bob',
  'rate',
  'conc',
  'stream',
  'legacy',
  'rest-rate',
  'rest-conc',
].map(grant);
const QUOTA_EXCEEDED = -32029;

describe('per-principal quotas (real satellite, tokens, real upstream)', () => {
  let sat: Satellite;
  const clients: Client[] = [];
  const auth = (g: TokenGrant) => ({ authorization: `Bearer ${g.token}` });
  const open = async (g: TokenGrant) => {
    const res = await postMcp(sat.mcpUrl, initializeRequest(g.principal), auth(g));
    await res.text();
    return res;
  };
  const connect = async (g: TokenGrant) => {
    const c = await connectWithToken(sat.mcpUrl, g.token);
    clients.push(c);
    return c;
  };
  const counter = async (limit: string) => {
    const text = await (await fetch(`${sat.baseUrl}/metrics`)).text();
    const m = new RegExp(
      `^satellite_quota_rejections_total\\{limit="${limit}"\\} (\\d+)$`,
      'm',
    ).exec(text);
    return Number(m?.[1] ?? Number.NaN);
  };

  beforeAll(async () => {
    const tokens = join(mkdtempSync(join(tmpdir(), 'satellite-quotas-')), 'tokens.json');
    writeTokensFile(tokens, [ALICE, BOB, RATE, CONC, STREAM, LEGACY, REST_RATE, REST_CONC]);
    sat = await startSatellite(
      { everything: stdioEntry(EVERYTHING, ['stdio']) },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: tokens,
        DEPLOYSTACK_MAX_SESSIONS_PER_PRINCIPAL: '3',
        DEPLOYSTACK_RATE_LIMIT_PER_MINUTE: '4',
        DEPLOYSTACK_MAX_CONCURRENT_CALLS_PER_PRINCIPAL: '1',
        DEPLOYSTACK_MAX_STREAMS_PER_SESSION: '1',
      },
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await sat?.stop();
  });

  it('caps open sessions per principal with 429 + Retry-After; others still open sessions', async () => {
    const opened = [await open(ALICE), await open(ALICE), await open(ALICE)];
    expect(opened.map((r) => r.status)).toEqual([200, 200, 200]);
    const refused = await postMcp(sat.mcpUrl, initializeRequest('alice'), auth(ALICE));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
    expect(await refused.json()).toMatchObject({
      jsonrpc: '2.0',
      error: { code: QUOTA_EXCEEDED, data: { limit: 'sessions' } },
    });
    expect((await open(BOB)).status).toBe(200);
    // Ending one of alice's sessions makes room for another.
    const ended = await fetch(sat.mcpUrl, {
      method: 'DELETE',
      headers: { ...auth(ALICE), 'mcp-session-id': opened[0].headers.get('mcp-session-id')! },
    });
    expect(ended.status).toBe(200);
    expect((await open(ALICE)).status).toBe(200);
    expect(await counter('sessions')).toBeGreaterThanOrEqual(1);
  });

  it('counts a legacy SSE session once: its initialize (POST /message) at the last place is not refused', async () => {
    // Found by the hostile clients fuzzer: the initialize a legacy client POSTs to /message has no
    // Mcp-Session-Id header and was counted as one more session, past the cap.
    expect([(await open(LEGACY)).status, (await open(LEGACY)).status]).toEqual([200, 200]);
    const sse = await connectSseWithToken(`${sat.baseUrl}/sse`, LEGACY.token);
    clients.push(sse);
    expect((await sse.listTools()).tools).toHaveLength(2);
    const refused = await fetch(`${sat.baseUrl}/sse`, { headers: auth(LEGACY) });
    expect(refused.status).toBe(429);
    await refused.text();
  });

  it('limits tool calls per minute with 429 + Retry-After; another principal keeps calling', async () => {
    const rate = await connect(RATE);
    const bob = await connect(BOB);
    for (let i = 0; i < 4; i++)
      await rate.callTool({ name: 'discover_mcp_tools', arguments: { query: 'echo' } });
    await expect(
      rate.callTool({ name: 'discover_mcp_tools', arguments: { query: 'echo' } }),
    ).rejects.toThrow(/Too Many Requests/);
    const sessionId = (rate.transport as { sessionId?: string }).sessionId!;
    const raw = await postMcp(
      sat.mcpUrl,
      {
        jsonrpc: '2.0',
        id: 99,
        method: 'tools/call',
        params: { name: 'discover_mcp_tools', arguments: { query: 'echo' } },
      },
      { ...auth(RATE), 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' },
    );
    expect(raw.status).toBe(429);
    expect(Number(raw.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await raw.json()).toMatchObject({
      error: { code: QUOTA_EXCEEDED, data: { limit: 'rate' } },
    });
    // Requests that call no tool are not counted.
    expect((await rate.listTools()).tools).toHaveLength(2);
    const echoed = await bob.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'everything-echo', arguments: { message: 'bob' } },
    });
    expect(JSON.stringify(echoed)).toContain('bob');
    expect(await counter('rate')).toBeGreaterThanOrEqual(2);
  });

  it('limits calls at once with a JSON-RPC error inside the stream; another principal is unaffected', async () => {
    const conc = await connect(CONC);
    const bob = await connect(BOB);
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const slow = conc.callTool(
      {
        name: 'execute_mcp_tool',
        arguments: {
          tool_path: 'everything-trigger-long-running-operation',
          arguments: { duration: 2, steps: 4 },
        },
      },
      undefined,
      { onprogress: () => started(), timeout: 30_000 },
    );
    await running; // the first call is in flight (its first progress came back)
    const second = await conc
      .callTool({
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'everything-echo', arguments: { message: 'second' } },
      })
      .catch((e: unknown) => e);
    expect(second).toBeInstanceOf(McpError);
    expect((second as McpError).code).toBe(QUOTA_EXCEEDED);
    expect((second as McpError).data).toMatchObject({
      limit: 'concurrency',
      retry_after_seconds: 1,
    });
    const other = await bob.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'everything-echo', arguments: { message: 'meanwhile' } },
    });
    expect(JSON.stringify(other)).toContain('meanwhile');
    expect(JSON.stringify(await slow)).toContain('Long running operation completed');
    // The slot is free again once the first call ended.
    const after = await conc.callTool({
      name: 'execute_mcp_tool',
      arguments: { tool_path: 'everything-echo', arguments: { message: 'after' } },
    });
    expect(JSON.stringify(after)).toContain('after');
    expect(await counter('concurrency')).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it('limits REST calls per minute and at once with 429 problems, sharing the budgets of /mcp', async () => {
    const restCall = (g: TokenGrant, body: unknown, headers: Record<string, string> = {}) =>
      fetch(`${sat.baseUrl}/api/tools/everything-echo/call`, {
        method: 'POST',
        headers: { ...auth(g), 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
    for (let i = 0; i < 4; i++)
      expect((await restCall(REST_RATE, { message: 'x' })).status).toBe(200);
    const refused = await restCall(REST_RATE, { message: 'x' });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await refused.json()).toMatchObject({ status: 429, limit: 'rate' });

    // A streamed REST call in flight holds the principal's one slot, for /mcp too.
    const slow = await fetch(
      `${sat.baseUrl}/api/tools/everything-trigger-long-running-operation/call`,
      {
        method: 'POST',
        headers: {
          ...auth(REST_CONC),
          'content-type': 'application/json',
          accept: 'text/event-stream',
        },
        body: JSON.stringify({ duration: 2, steps: 4 }),
      },
    );
    expect(slow.status).toBe(200);
    const reader = slow.body!.pipeThrough(new TextDecoderStream()).getReader();
    let seen = '';
    while (!seen.includes('event: progress')) seen += (await reader.read()).value ?? '';
    const second = await restCall(REST_CONC, { message: 'second' });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    expect(await second.json()).toMatchObject({ status: 429, limit: 'concurrency' });
    const viaMcp = await (
      await connect(REST_CONC)
    )
      .callTool({
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'everything-echo', arguments: { message: 'mcp' } },
      })
      .catch((e: unknown) => e);
    expect((viaMcp as McpError).code).toBe(QUOTA_EXCEEDED);
    while (!seen.includes('event: result')) {
      const { value, done } = await reader.read();
      if (done) break;
      seen += value;
    }
    expect(seen).toContain('Long running operation completed');
    expect((await restCall(REST_CONC, { message: 'after' })).status).toBe(200);
  }, 30_000);

  it('limits GET streams per session with 429; closing one frees its place', async () => {
    const init = await postMcp(sat.mcpUrl, initializeRequest('stream'), auth(STREAM));
    await init.text();
    const sessionId = init.headers.get('mcp-session-id')!;
    const headers = {
      ...auth(STREAM),
      accept: 'text/event-stream',
      'mcp-session-id': sessionId,
      'mcp-protocol-version': '2025-11-25',
    };
    await postMcp(sat.mcpUrl, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
    const first = new AbortController();
    const stream = await fetch(sat.mcpUrl, { headers, signal: first.signal });
    expect(stream.status).toBe(200);
    const second = await fetch(sat.mcpUrl, { headers });
    expect(second.status).toBe(429);
    expect(second.headers.get('retry-after')).toBe('1');
    await second.text();
    first.abort();
    await stream.body?.cancel().catch(() => undefined);
    const reopened = await waitFor('the stream place freed', async () => {
      const res = await fetch(sat.mcpUrl, { headers, signal: AbortSignal.timeout(2000) }).catch(
        () => undefined,
      );
      if (res?.status === 200) return res;
      await res?.text();
      return undefined;
    });
    await reopened.body?.cancel();
    expect(await counter('streams')).toBeGreaterThanOrEqual(1);
  });
});
