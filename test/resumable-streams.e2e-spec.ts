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
    const replay = await fetch(sat.mcpUrl, {
      headers: { ...headers(), accept: 'text/event-stream', 'last-event-id': priming.id! },
    });
    expect(replay.status).toBe(200);
    const text = await readSse(replay, (t) => t.includes('"id":2'));
    const replayed = parseSse(text).find((e) => e.data.includes('"id":2'));
    expect(replayed?.id).toBe(answer.id);
  });
});
