// Invariant: /mcp streams are resumable (MCP 2025-11-25): each SSE stream starts with a priming
// event (an id and a retry interval), and a client whose stream dropped gets the events it missed
// by reconnecting with Last-Event-ID.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { initializeRequest, postMcp } from './support/mcp-http.js';
import { type Satellite, startSatellite } from './support/satellite.js';

interface SseEvent {
  id?: string;
  retry?: number;
  data: string;
}

function parseSse(text: string): SseEvent[] {
  return text
    .split(/\n\n/)
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const event: SseEvent = { data: '' };
      for (const line of block.split('\n')) {
        const [field, ...rest] = line.split(':');
        const value = rest.join(':').replace(/^ /, '');
        if (field === 'id') event.id = value;
        else if (field === 'retry') event.retry = Number(value);
        else if (field === 'data') event.data += value;
      }
      return event;
    });
}

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
    const controller = new AbortController();
    const replay = await fetch(sat.mcpUrl, {
      headers: { ...headers(), accept: 'text/event-stream', 'last-event-id': priming.id! },
      signal: controller.signal,
    });
    expect(replay.status).toBe(200);
    const reader = replay.body!.getReader();
    let text = '';
    while (!text.includes('"id":2')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += new TextDecoder().decode(value);
    }
    controller.abort();
    const replayed = parseSse(text).find((e) => e.data.includes('"id":2'));
    expect(replayed?.id).toBe(answer.id);
  });
});
