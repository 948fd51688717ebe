// Invariant: /mcp streams are resumable (MCP 2025-11-25): each SSE stream starts with a priming
// event (an id and a retry interval), and a client whose stream dropped gets the events it missed
// by reconnecting with Last-Event-ID.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { initializeRequest, postMcp } from './support/mcp-http.js';
import { type Satellite, startSatellite } from './support/satellite.js';
import { parseSse, readSse } from './support/sse.js';

describe('resumable /mcp streams', () => {
  let sat: Satellite;
  let sessionId: string;
  const headers = () => ({ 'mcp-session-id': sessionId, 'mcp-protocol-version': '2025-11-25' });

  beforeAll(async () => {
    sat = await startSatellite({});
    const init = await postMcp(sat.mcpUrl, initializeRequest('resume-e2e'));
    expect(init.status).toBe(200);
    sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const initialized = await postMcp(
      sat.mcpUrl,
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      headers(),
    );
    expect(initialized.status).toBe(202);
  }, 60_000);

  afterAll(() => sat?.stop());

  it('primes a POST stream with an event id and a retry interval, then replays after it', async () => {
    const res = await postMcp(
      sat.mcpUrl,
      { jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} },
      headers(),
    );
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const events = parseSse(await res.text());
    const [priming, answer] = events;
    expect(priming).toMatchObject({ data: '', retry: 1000 });
    expect(priming.id).toBeTruthy();
    expect(JSON.parse(answer.data)).toMatchObject({ id: 2, result: { tools: expect.any(Array) } });

    // As if the stream had dropped right after the priming event: the answer is replayed.
    const replay = await resume(priming.id!);
    expect(replay.status).toBe(200);
    const text = await readSse(replay, (t) => t.includes('"id":2'));
    const replayed = parseSse(text).find((e) => e.data.includes('"id":2'));
    expect(replayed?.id).toBe(answer.id);
  });

  // Clients of the SDK's 1.x line resume a stream after a JSON-RPC *error* response as if no
  // response had come. Such a stream carries nothing more: it is answered and ended, not held open.
  it('ends a resumed stream that already carried its response', async () => {
    const res = await postMcp(
      sat.mcpUrl,
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'discover_mcp_tools' } },
      headers(),
    );
    const [priming, answer] = parseSse(await res.text());
    expect(JSON.parse(answer.data)).toMatchObject({ id: 3, error: { code: -32602 } });

    // Missed the error: it is replayed, and the stream ends (text() returns).
    const missed = await resume(priming.id!);
    expect(missed.status).toBe(200);
    const replayed = parseSse(await missed.text());
    expect(replayed.map((e) => e.id)).toEqual([answer.id]);
    expect(JSON.parse(replayed[0].data)).toMatchObject({ id: 3, error: { code: -32602 } });

    // Had everything: nothing to send.
    const nothing = await resume(answer.id!);
    expect(nothing.status).toBe(204);
    expect(nothing.headers.get('mcp-session-id')).toBe(sessionId);
  });

  const resume = (lastEventId: string) =>
    fetch(sat.mcpUrl, {
      headers: { ...headers(), accept: 'text/event-stream', 'last-event-id': lastEventId },
    });
});
