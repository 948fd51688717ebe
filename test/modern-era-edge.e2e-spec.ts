// Invariant: 2026-07-28 requests need no affinity and no session secret (two replicas behind a
// plain round-robin proxy answer every one of them), and they pass the same guards as the old era:
// with DEPLOYSTACK_AUTH=tokens no token is 401, a call without mcp:tools:execute is 403, and a
// server's team decides who finds and reaches its tools; and no 2026-07-28-shaped input (envelope,
// headers, retry fields) makes either endpoint answer 5xx (docs/protocol.md "Two protocol eras").
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { EXECUTE, type TokenGrant, writeTokensFile } from './security/support.js';
import { roundRobin } from './support/round-robin.js';
import { type Satellite, startSatellite } from './support/satellite.js';
import { EVERYTHING, MEMORY, stdioEntry } from './support/upstreams.js';

/** A v2 client that negotiates the era; `statuses` gets the HTTP status of every POST. */
async function modernClient(url: string, token?: string, statuses: number[] = []): Promise<Client> {
  const client = new Client(
    { name: 'modern-edge-e2e', version: '1.0.0' },
    { versionNegotiation: { mode: 'auto' } },
  );
  const recording: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    statuses.push(res.status);
    return res;
  };
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), {
      fetch: recording,
      ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
    }),
  );
  return client;
}

const text = (r: { content?: unknown }) =>
  ((r.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join('');

describe('2026-07-28 over two replicas without a session secret', () => {
  let a: Satellite;
  let b: Satellite;
  let proxy: Awaited<ReturnType<typeof roundRobin>>;

  beforeAll(async () => {
    const servers = { everything: stdioEntry(EVERYTHING, ['stdio']) };
    [a, b] = await Promise.all([startSatellite(servers), startSatellite(servers)]);
    proxy = await roundRobin([a.baseUrl, b.baseUrl]);
  }, 120_000);

  afterAll(async () => {
    await proxy?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  it.each(['/mcp', '/i/everything/mcp'])(
    'answers every request on %s, whichever replica',
    async (path) => {
      const client = await modernClient(`${proxy.url}${path}`);
      const before = [...proxy.served];
      try {
        expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
        for (let i = 0; i < 6; i++) {
          const result =
            path === '/mcp'
              ? await client.callTool({
                  name: 'execute_mcp_tool',
                  arguments: { tool_path: 'everything-echo', arguments: { message: `call ${i}` } },
                })
              : await client.callTool({ name: 'echo', arguments: { message: `call ${i}` } });
          expect(result.isError).toBeFalsy();
          expect(text(result)).toContain(`call ${i}`);
        }
        expect(proxy.served[0] - before[0]).toBeGreaterThan(2);
        expect(proxy.served[1] - before[1]).toBeGreaterThan(2);
      } finally {
        await client.close();
      }
    },
  );
});

describe('2026-07-28 under DEPLOYSTACK_AUTH=tokens: the same guards as 2025-11-25', () => {
  const ALICE: TokenGrant = {
    token: 'tok-modern-alice-0123456789',
    principal: 'alice',
    teams: ['alpha'],
    scopes: [EXECUTE],
  };
  const READER: TokenGrant = {
    token: 'tok-modern-reader-0123456789',
    principal: 'carol',
    teams: ['alpha'],
  };
  let sat: Satellite;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'satellite-modern-tokens-'));
    writeTokensFile(join(dir, 'tokens.json'), [ALICE, READER]);
    sat = await startSatellite(
      {
        alpha: stdioEntry(EVERYTHING, ['stdio'], { team: 'alpha' }),
        beta: stdioEntry(MEMORY, [], {
          team: 'beta',
          env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
        }),
      },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
        DEPLOYSTACK_SATELLITE_URL: 'https://satellite.example.com',
      },
    );
  }, 120_000);

  afterAll(async () => {
    await sat?.stop();
  });

  it('refuses a request without a token with 401, as for the old era', async () => {
    for (const path of ['/mcp', '/i/alpha/mcp']) {
      const statuses: number[] = [];
      await expect(modernClient(`${sat.baseUrl}${path}`, undefined, statuses)).rejects.toThrow();
      expect(statuses[0]).toBe(401);
    }
  });

  it('finds only the tools of the caller’s team, and no direct endpoint of another team', async () => {
    const client = await modernClient(sat.mcpUrl, ALICE.token);
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe('2026-07-28');
      const found = await client.callTool({
        name: 'discover_mcp_tools',
        arguments: { query: '*', limit: 50 },
      });
      const servers = new Set(
        (found.structuredContent as { tools: Array<{ server: string }> }).tools.map(
          (t) => t.server,
        ),
      );
      expect([...servers]).toEqual(['alpha']);
      const other = await client.callTool({
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'beta-read_graph', arguments: {} },
      });
      expect(other.isError).toBe(true);
    } finally {
      await client.close();
    }
    const statuses: number[] = [];
    await expect(
      modernClient(`${sat.baseUrl}/i/beta/mcp`, ALICE.token, statuses),
    ).rejects.toThrow();
    expect(statuses[0]).toBe(404);
  });

  it('answers a tool call without mcp:tools:execute with 403', async () => {
    const statuses: number[] = [];
    const client = await modernClient(sat.mcpUrl, READER.token, statuses);
    try {
      await expect(
        client.callTool({
          name: 'execute_mcp_tool',
          arguments: { tool_path: 'alpha-echo', arguments: { message: 'x' } },
        }),
      ).rejects.toThrow();
      expect(statuses.at(-1)).toBe(403);
    } finally {
      await client.close();
    }
  });
});

describe('2026-07-28-shaped input to /mcp and a direct endpoint', () => {
  let sat: Satellite;

  beforeAll(async () => {
    sat = await startSatellite({ everything: stdioEntry(EVERYTHING, ['stdio']) });
  }, 120_000);

  afterAll(async () => {
    await sat?.stop();
  });

  const CLAIM = 'io.modelcontextprotocol/protocolVersion';
  const version = fc.oneof(
    fc.constantFrom('2026-07-28', '2025-11-25', '2099-01-01', ''),
    fc.string({ maxLength: 12 }),
  );
  const envelope = fc.record(
    {
      [CLAIM]: fc.oneof(version, fc.jsonValue()),
      'io.modelcontextprotocol/clientInfo': fc.oneof(
        fc.constant({ name: 'fuzz', version: '1' }),
        fc.jsonValue(),
      ),
      'io.modelcontextprotocol/clientCapabilities': fc.oneof(
        fc.constant({}),
        fc.constant({ elicitation: { form: {} } }),
        fc.jsonValue(),
      ),
    },
    { requiredKeys: [CLAIM] },
  );
  const method = fc.oneof(
    fc.constantFrom('server/discover', 'tools/list', 'tools/call', 'ping', 'tasks/get'),
    fc.string({ maxLength: 20 }),
  );
  const request = fc.record({
    jsonrpc: fc.constant('2.0'),
    id: fc.oneof(fc.integer(), fc.string({ maxLength: 8 })),
    method,
    params: fc.record(
      {
        _meta: envelope,
        name: fc.oneof(fc.constantFrom('execute_mcp_tool', 'echo'), fc.string({ maxLength: 10 })),
        arguments: fc.oneof(fc.constant({ message: 'x' }), fc.jsonValue()),
        requestState: fc.string({ maxLength: 20 }),
        inputResponses: fc.jsonValue(),
      },
      { requiredKeys: ['_meta'] },
    ),
  });

  it('never answers 5xx, whatever the envelope, headers and retry fields say', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/mcp', '/i/everything/mcp'),
        fc.oneof(request, fc.array(request, { minLength: 1, maxLength: 2 })),
        fc.option(version, { nil: undefined }),
        fc.option(method, { nil: undefined }),
        fc.option(fc.string({ maxLength: 12 }), { nil: undefined }),
        async (path, body, protocolHeader, methodHeader, nameHeader) => {
          const headers: Record<string, string> = {
            'content-type': 'application/json',
            accept: 'application/json, text/event-stream',
          };
          const clean = (v: string) => v.replace(/[^\x21-\x7e]/g, 'x') || 'x';
          if (protocolHeader !== undefined) headers['mcp-protocol-version'] = clean(protocolHeader);
          if (methodHeader !== undefined) headers['mcp-method'] = clean(methodHeader);
          if (nameHeader !== undefined) headers['mcp-name'] = clean(nameHeader);
          const res = await fetch(`${sat.baseUrl}${path}`, {
            method: 'POST',
            headers,
            body: JSON.stringify(body),
          });
          await res.text();
          expect(res.status).toBeLessThan(500);
        },
      ),
      { numRuns: 200 },
    );
    expect((await fetch(`${sat.baseUrl}/health/live`)).status).toBe(200);
  }, 120_000);
});
