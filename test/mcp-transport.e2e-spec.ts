// Invariant: /mcp answers every malformed, foreign or stale request with a defined HTTP status and
// JSON-RPC error, allocates nothing for it, and closes idle sessions for real.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request } from 'node:http';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistryService } from '../src/mcp/session-registry.service.js';
import { ManualClock } from './support/manual-clock.js';
import { type Satellite, startSatellite } from './support/satellite.js';

const ACCEPT = 'application/json, text/event-stream';
const initialize = (id = 1) => ({
  jsonrpc: '2.0',
  id,
  method: 'initialize',
  params: {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    capabilities: {},
    clientInfo: { name: 'raw', version: '1' },
  },
});

function rawPostStatus(
  url: string,
  body: unknown,
  headers: Record<string, string>,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

describe('/mcp transport edge cases', () => {
  let sat: Satellite;
  let sessions: SessionRegistryService;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    sat = await startSatellite(
      {},
      { DEPLOYSTACK_MAX_SESSIONS: '3', DEPLOYSTACK_SESSION_IDLE_TIMEOUT_MS: '60000' },
      { clock },
    );
    sessions = sat.app.get(SessionRegistryService);
  }, 60_000);
  afterAll(() => sat?.stop());

  const post = (body: unknown, headers: Record<string, string> = {}) =>
    fetch(sat.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  async function openSession(): Promise<string> {
    const res = await post(initialize());
    expect(res.status).toBe(200);
    const id = res.headers.get('mcp-session-id')!;
    await res.text();
    const ack = await post(
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
    );
    expect(ack.status).toBe(202);
    return id;
  }

  it('issues session ids of 32 random bytes, base64url', async () => {
    const id = await openSession();
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(32);
    await fetch(sat.mcpUrl, { method: 'DELETE', headers: { 'mcp-session-id': id } });
  });

  it('400 with -32700 for malformed JSON', async () => {
    const res = await post('{"jsonrpc": "2.0", "method": ');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ jsonrpc: '2.0', error: { code: -32700 }, id: null });
  });

  it('400 for a non-initialize request without a session id', async () => {
    const res = await post({ jsonrpc: '2.0', id: 1, method: 'tools/list' });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /Mcp-Session-Id header is required/,
    );
    expect((await fetch(sat.mcpUrl, { headers: { accept: 'text/event-stream' } })).status).toBe(
      400,
    );
  });

  it('404 for an unknown session id, allocating nothing', async () => {
    const before = sessions.stats();
    for (const method of ['POST', 'GET', 'DELETE']) {
      const res = await fetch(sat.mcpUrl, {
        method,
        headers: {
          'mcp-session-id': 'never-issued',
          accept: ACCEPT,
          'content-type': 'application/json',
        },
        ...(method === 'POST'
          ? { body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }) }
          : {}),
      });
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({
        error: { code: -32001, message: 'Session not found' },
      });
    }
    expect(sessions.stats()).toEqual(before);
  });

  it('403 for a present Origin that is not allowed; loopback origins pass', async () => {
    const evil = await post(initialize(), { origin: 'http://evil.example.com' });
    expect(evil.status).toBe(403);
    // fetch() may not set Host: use node:http for the rebound-DNS-name case.
    expect(
      await rawPostStatus(sat.mcpUrl, initialize(), {
        host: 'evil.example.com',
        origin: 'http://evil.example.com',
      }),
    ).toBe(403);
    expect(await rawPostStatus(sat.mcpUrl, initialize(), { host: 'evil.example.com' })).toBe(403);
    const ok = await post(initialize(), { origin: 'http://localhost:6274' });
    expect(ok.status).toBe(200);
    await fetch(sat.mcpUrl, {
      method: 'DELETE',
      headers: { 'mcp-session-id': ok.headers.get('mcp-session-id')! },
    });
  });

  it('406 without an acceptable Accept header, 415 for a non-JSON body', async () => {
    expect((await post(initialize(), { accept: 'application/json' })).status).toBe(406);
    const res = await fetch(sat.mcpUrl, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', accept: ACCEPT },
      body: 'hello',
    });
    expect(res.status).toBe(415);
  });

  it('DELETE ends the session; the id is then unknown', async () => {
    const id = await openSession();
    const del = await fetch(sat.mcpUrl, {
      method: 'DELETE',
      headers: { 'mcp-session-id': id, 'mcp-protocol-version': LATEST_PROTOCOL_VERSION },
    });
    expect(del.status).toBe(200);
    expect(
      (await post({ jsonrpc: '2.0', id: 2, method: 'ping' }, { 'mcp-session-id': id })).status,
    ).toBe(404);
  });

  it('503 past the session cap', async () => {
    const ids = [];
    while (sessions.size < 3) ids.push(await openSession());
    const res = await post(initialize());
    expect(res.status).toBe(503);
    for (const id of ids)
      await fetch(sat.mcpUrl, { method: 'DELETE', headers: { 'mcp-session-id': id } });
    expect(sessions.size).toBe(0);
  });

  it('closes idle sessions for real: the open SSE stream ends and the id answers 404', async () => {
    const id = await openSession();
    const stream = await fetch(sat.mcpUrl, {
      headers: {
        accept: 'text/event-stream',
        'mcp-session-id': id,
        'mcp-protocol-version': LATEST_PROTOCOL_VERSION,
      },
    });
    expect(stream.status).toBe(200);
    const ended = stream.text(); // resolves when the server ends the stream

    const expiredBefore = sessions.stats().expired;
    await clock.advanceAndSettle(30_000); // the periodic sweep runs: not idle long enough yet
    expect(sessions.stats().expired).toBe(expiredBefore);
    expect(sessions.touch(id)).toBeDefined();
    // Idle for more than the 60 s limit at the latest by the next sweep (every 15 s): swept.
    await clock.advanceAndSettle(60_000 + 15_000);

    await expect(ended).resolves.toBeDefined();
    expect(
      (await post({ jsonrpc: '2.0', id: 3, method: 'ping' }, { 'mcp-session-id': id })).status,
    ).toBe(404);
    expect(sessions.stats().expired).toBeGreaterThan(expiredBefore);
  });
});
