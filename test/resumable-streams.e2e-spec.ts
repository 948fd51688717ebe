// Invariant: a POST is answered as plain JSON when nothing but its response has to go out (lazy
// framing), and as an SSE stream the moment something else related to it must go first
// (progress, logging, a server→client request). Every SSE stream is resumable (MCP 2025-11-25):
// it starts with a priming event (an id and a retry interval), and a client whose stream dropped
// gets the events it missed by reconnecting with Last-Event-ID.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { initializeRequest, postMcp } from './support/mcp-http.js';
import { type Satellite, startSatellite } from './support/satellite.js';
import { parseSse, readSse, type SseEvent } from './support/sse.js';
import { EVERYTHING, stdioEntry } from './support/upstreams.js';

const V = '2025-11-25';

describe('lazy framing and resumable streams', () => {
  let sat: Satellite;

  beforeAll(async () => {
    sat = await startSatellite({ everything: stdioEntry(EVERYTHING, ['stdio']) });
  }, 60_000);

  afterAll(() => sat?.stop());

  /** A session on `url`, initialized; answers its request headers. */
  async function open(url: string): Promise<Record<string, string>> {
    const init = await postMcp(url, initializeRequest('lazy-framing-e2e'));
    expect(init.status).toBe(200);
    // The initialize response itself is a plain request/response.
    expect(init.headers.get('content-type')).toMatch(/^application\/json/);
    const sessionId = init.headers.get('mcp-session-id')!;
    expect(await init.json()).toMatchObject({ id: 1, result: { protocolVersion: V } });
    const headers = { 'mcp-session-id': sessionId, 'mcp-protocol-version': V };
    const initialized = await postMcp(
      url,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers,
    );
    expect(initialized.status).toBe(202);
    return headers;
  }

  const longRun = (id: number, token: string, duration: number, steps: number) => ({
    jsonrpc: '2.0',
    id,
    method: 'tools/call',
    params: {
      name: 'execute_mcp_tool',
      arguments: {
        tool_path: 'everything-trigger-long-running-operation',
        arguments: { duration, steps },
      },
      _meta: { progressToken: token },
    },
  });

  const resume = (headers: Record<string, string>, lastEventId: string) =>
    fetch(sat.mcpUrl, {
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': lastEventId },
    });

  const progressOf = (events: SseEvent[]) =>
    events
      .map((e) => (e.data ? (JSON.parse(e.data) as Record<string, unknown>) : {}))
      .filter((m) => m.method === 'notifications/progress')
      .map((m) => (m.params as { progress: number }).progress);

  it('answers a plain call as one application/json response, on /mcp and on a direct endpoint', async () => {
    const headers = await open(sat.mcpUrl);
    const res = await postMcp(
      sat.mcpUrl,
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      headers,
    );
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(res.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', id: 2, result: { tools: [{}, {}] } });

    const direct = `${sat.baseUrl}/i/everything/mcp`;
    const directHeaders = await open(direct);
    const echo = await postMcp(
      direct,
      {
        jsonrpc: '2.0',
        id: 'e',
        method: 'tools/call',
        params: { name: 'echo', arguments: { message: 'plain' } },
      },
      directHeaders,
    );
    expect(echo.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await echo.json()).toMatchObject({
      id: 'e',
      result: { content: [{ type: 'text', text: 'Echo: plain' }] },
    });
  });

  it('answers a batch of plain requests as one JSON array, in request order', async () => {
    const headers = await open(sat.mcpUrl);
    const res = await postMcp(
      sat.mcpUrl,
      [
        { jsonrpc: '2.0', id: 10, method: 'tools/list', params: {} },
        { jsonrpc: '2.0', id: 11, method: 'ping' },
      ],
      headers,
    );
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as Array<{ id: number }>;
    expect(body.map((m) => m.id)).toEqual([10, 11]);
  });

  it('switches a call with progress to SSE: priming event, every progress event, then the result', async () => {
    const headers = await open(sat.mcpUrl);
    const res = await postMcp(sat.mcpUrl, longRun(3, 'p3', 0.3, 3), headers);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = parseSse(await res.text());
    const [priming, ...rest] = events;
    expect(priming).toMatchObject({ data: '', retry: 1000 });
    expect(priming.id).toBeTruthy();
    expect(progressOf(rest)).toEqual([1, 2, 3]);
    const last = JSON.parse(rest.at(-1)!.data) as Record<string, unknown>;
    expect(last).toMatchObject({ id: 3, result: { content: [{ type: 'text' }] } });
    expect(JSON.stringify(last)).toContain('Long running operation completed');
    // Every event carries an id, so any of them is a point to resume from.
    expect(rest.every((e) => e.id)).toBe(true);

    // A stream that already carried its response: replayed after the priming event, and ended.
    const replay = await resume(headers, priming.id!);
    expect(replay.status).toBe(200);
    const replayed = parseSse(await replay.text());
    expect(replayed.map((e) => e.id)).toEqual(rest.map((e) => e.id));
    // Had everything: nothing left to send.
    const nothing = await resume(headers, rest.at(-1)!.id!);
    expect(nothing.status).toBe(204);
    expect(nothing.headers.get('mcp-session-id')).toBe(headers['mcp-session-id']);
  });

  it('resumes a dropped SSE stream by Last-Event-ID: the missed events and the result', async () => {
    const headers = await open(sat.mcpUrl);
    const res = await postMcp(sat.mcpUrl, longRun(4, 'p4', 1.5, 3), headers);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    // Read up to the first progress event, then drop the connection.
    const seen = parseSse(await readSse(res, (t) => t.includes('notifications/progress'), 10_000));
    expect(progressOf(seen)).toEqual([1]);
    const lastSeen = seen.at(-1)!.id!;

    const resumed = await resume(headers, lastSeen);
    expect(resumed.status).toBe(200);
    expect(resumed.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await readSse(resumed, (t) => t.includes('"id":4'), 15_000);
    const rest = parseSse(text);
    expect(progressOf(rest)).toEqual([2, 3]);
    expect(text).toContain('Long running operation completed');
  });

  it('refuses a POST from a client that does not accept both JSON and SSE (406, as the spec requires)', async () => {
    const headers = await open(sat.mcpUrl);
    for (const accept of ['application/json', 'text/event-stream']) {
      const res = await fetch(sat.mcpUrl, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json', accept },
        body: JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }),
      });
      expect(res.status).toBe(406);
      expect(await res.json()).toMatchObject({ error: { code: -32000 } });
    }
  });
});
