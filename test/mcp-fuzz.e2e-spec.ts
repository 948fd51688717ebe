// Invariant: no JSON-RPC body or header combination makes /mcp answer 5xx or crash the satellite.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { type Satellite, startSatellite } from './support/satellite.js';
import { initializeRequest, postMcp } from './support/mcp-http.js';

describe('/mcp under arbitrary input', () => {
  let sat: Satellite;
  let liveSession: string;

  beforeAll(async () => {
    sat = await startSatellite({});
    const res = await postMcp(sat.mcpUrl, initializeRequest('fuzz', 0));
    liveSession = res.headers.get('mcp-session-id')!;
    await res.text();
  }, 60_000);
  afterAll(() => sat?.stop());

  const jsonRpcish = fc.oneof(
    fc.jsonValue(),
    fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.string()),
        id: fc.oneof(fc.integer(), fc.string(), fc.constant(null)),
        method: fc.oneof(
          fc.constantFrom(
            'initialize',
            'tools/list',
            'tools/call',
            'ping',
            'notifications/initialized',
            'resources/read',
          ),
          fc.string(),
        ),
        params: fc.oneof(fc.object(), fc.jsonValue()),
      },
      { requiredKeys: [] },
    ),
  );

  it('never answers 5xx', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          jsonRpcish.map((v) => JSON.stringify(v)),
          fc.string(),
          fc.array(jsonRpcish).map((v) => JSON.stringify(v)),
        ),
        fc.constantFrom('application/json', 'text/plain', 'application/json; charset=utf-8', ''),
        fc.constantFrom('application/json, text/event-stream', 'application/json', '*/*', ''),
        fc.oneof(fc.constant(undefined), fc.constant('live'), fc.string({ maxLength: 60 })),
        fc.constantFrom('POST', 'GET', 'DELETE'),
        async (body, contentType, accept, session, method) => {
          const headers: Record<string, string> = {};
          if (contentType) headers['content-type'] = contentType;
          if (accept) headers.accept = accept;
          if (session !== undefined)
            headers['mcp-session-id'] =
              session === 'live' ? liveSession : session.replace(/[^\x21-\x7e]/g, 'x') || 'x';
          const controller = new AbortController();
          const res = await fetch(sat.mcpUrl, {
            method,
            headers,
            signal: controller.signal,
            ...(method === 'POST' ? { body } : {}),
          });
          // A GET on the live session opens a stream: look at the status only.
          if (res.headers.get('content-type')?.includes('text/event-stream') && method === 'GET')
            controller.abort();
          else await res.text();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
    expect((await fetch(`${sat.baseUrl}/health/live`)).status).toBe(200);
  }, 60_000);
});
