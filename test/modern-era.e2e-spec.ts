// Invariant: /mcp and /i/{slug}/mcp serve both protocol eras, chosen per request: the SDK v2
// client negotiates 2026-07-28 and is answered statelessly (no session, tools/list with a TTL);
// an SDK v1 client on the same satellite still gets 2025-11-25 with a session. A 2025-11-25
// upstream's elicitation and sampling requests reach a 2026-07-28 client as input_required and
// complete on its retry (docs/protocol.md "Two protocol eras").
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { SessionRegistryService } from '../src/mcp/session-registry.service.js';
import { type Satellite, startSatellite } from './support/satellite.js';
import {
  EVERYTHING,
  type HttpPeer,
  LOOPBACK_ONLY,
  ROOT,
  startEverythingHttp,
  stdioEntry,
} from './support/upstreams.js';

const MODERN = '2026-07-28';

/** test/fixtures/modern-http-server.mjs: an SDK v2 server over HTTP; resolves with its URL. */
async function startModernUpstream(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(
    process.execPath,
    ['--import', LOOPBACK_ONLY, resolve(ROOT, 'test', 'fixtures', 'modern-http-server.mjs')],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const port = await new Promise<number>((res, rej) => {
    let out = '';
    const timer = setTimeout(() => rej(new Error(`modern upstream did not start: ${out}`)), 45_000);
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        res(Number(m[1]));
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.once('exit', (code) => rej(new Error(`modern upstream exited with ${code}: ${out}`)));
  });
  return { url: `http://127.0.0.1:${port}/mcp`, child };
}

/** What the client saw on the wire: every JSON or SSE response body of its POSTs. */
function recordingFetch(bodies: string[]): typeof fetch {
  return async (input, init) => {
    const res = await fetch(input, init);
    if (init?.method === 'POST') bodies.push(await res.clone().text());
    return res;
  };
}

async function modernClient(
  url: string,
  opts: {
    capabilities?: Record<string, unknown>;
    bodies?: string[];
    headers?: Record<string, string>;
  } = {},
): Promise<ModernClient> {
  const client = new ModernClient(
    { name: 'modern-e2e', version: '1.0.0' },
    { capabilities: opts.capabilities ?? {}, versionNegotiation: { mode: 'auto' } },
  );
  await client.connect(
    new ModernTransport(new URL(url), {
      ...(opts.bodies ? { fetch: recordingFetch(opts.bodies) } : {}),
      ...(opts.headers ? { requestInit: { headers: opts.headers } } : {}),
    }),
  );
  return client;
}

const text = (r: { content?: unknown }) =>
  ((r.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join('');

describe('2026-07-28 beside 2025-11-25 on /mcp and direct endpoints (real SDK v1 and v2 clients)', () => {
  let sat: Satellite;
  let http: HttpPeer;
  let modern: Awaited<ReturnType<typeof startModernUpstream>>;

  beforeAll(async () => {
    [http, modern] = await Promise.all([
      startEverythingHttp('streamableHttp'),
      startModernUpstream(),
    ]);
    sat = await startSatellite({
      everything: stdioEntry(EVERYTHING, ['stdio']),
      remote: { type: 'http', url: http.url },
      modern: { type: 'http', url: modern.url },
    });
  }, 120_000);

  afterAll(async () => {
    await sat?.stop();
    await http?.stop();
    if (modern && modern.child.exitCode === null) {
      const exited = new Promise((r) => modern.child.once('exit', r));
      modern.child.kill('SIGTERM');
      await exited;
    }
  });

  it('negotiates 2026-07-28 on /mcp without a session, and lists with a TTL', async () => {
    const bodies: string[] = [];
    const client = await modernClient(sat.mcpUrl, { bodies });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      const sessionsBefore = sat.app.get(SessionRegistryService).stats();
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(['discover_mcp_tools', 'execute_mcp_tool']);
      const listed = bodies.find((b) => b.includes('"tools":['));
      expect(listed).toMatch(/"ttlMs":300000/);
      expect(listed).toMatch(/"cacheScope":"public"/);
      expect(sat.app.get(SessionRegistryService).stats()).toEqual(sessionsBefore);
    } finally {
      await client.close();
    }
  });

  it('discovers and executes through the meta-tools in the 2026-07-28 era', async () => {
    const client = await modernClient(sat.mcpUrl);
    try {
      const found = await client.callTool({
        name: 'discover_mcp_tools',
        arguments: { query: 'echo a message back' },
      });
      expect(JSON.stringify(found.structuredContent)).toContain('everything-echo');
      const result = (await client.callTool({
        name: 'execute_mcp_tool',
        arguments: { tool_path: 'everything-echo', arguments: { message: 'new era' } },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(text(result)).toContain('new era');
    } finally {
      await client.close();
    }
  });

  it.each([
    ['a stdio upstream', 'everything'],
    ['an HTTP upstream', 'remote'],
  ])('serves a direct endpoint of %s in the 2026-07-28 era', async (_what, slug) => {
    const bodies: string[] = [];
    const client = await modernClient(`${sat.baseUrl}/i/${slug}/mcp`, { bodies });
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toContain('echo');
      expect(bodies.find((b) => b.includes('"tools":['))).toMatch(/"cacheScope":"private"/);
      const result = (await client.callTool({
        name: 'echo',
        arguments: { message: `direct ${slug}` },
      })) as CallToolResult;
      expect(text(result)).toContain(`direct ${slug}`);
    } finally {
      await client.close();
    }
  });

  it('still gives an SDK v1 client 2025-11-25 with a session on the same endpoints', async () => {
    for (const url of [sat.mcpUrl, `${sat.baseUrl}/i/everything/mcp`]) {
      const client = new Client({ name: 'legacy-e2e', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(new URL(url));
      await client.connect(transport);
      try {
        expect(transport.sessionId).toBeTruthy();
        expect(transport.protocolVersion).toBe('2025-11-25');
        expect(sat.app.get(SessionRegistryService).touch(transport.sessionId!)).toBeDefined();
        const { tools } = await client.listTools();
        expect(tools.length).toBeGreaterThan(0);
      } finally {
        await client.close();
      }
    }
  });

  it("bridges an old-era upstream's elicitation to input_required, completed by the retry", async () => {
    const asked: string[] = [];
    const bodies: string[] = [];
    const client = await modernClient(`${sat.baseUrl}/i/everything/mcp`, {
      capabilities: { elicitation: { form: {} } },
      bodies,
    });
    client.setRequestHandler('elicitation/create', (request) => {
      asked.push(request.params.message);
      return { action: 'accept', content: { name: 'Ada Lovelace', check: true } };
    });
    try {
      const result = (await client.callTool({
        name: 'trigger-elicitation-request',
        arguments: {},
      })) as CallToolResult;
      expect(asked).toHaveLength(1);
      expect(result.isError).toBeFalsy();
      expect(text(result)).toContain('Ada Lovelace');
      // The upstream's request came back as an answer, not as a request on a session stream.
      expect(bodies.some((b) => b.includes('"resultType":"input_required"'))).toBe(true);
    } finally {
      await client.close();
    }
  }, 60_000);

  it("bridges an old-era upstream's sampling request through execute_mcp_tool", async () => {
    const client = await modernClient(sat.mcpUrl, { capabilities: { sampling: {} } });
    client.setRequestHandler('sampling/createMessage', () => ({
      model: 'test-model',
      role: 'assistant',
      content: { type: 'text', text: 'sampled for the new era' },
    }));
    try {
      const result = (await client.callTool({
        name: 'execute_mcp_tool',
        arguments: {
          tool_path: 'everything-trigger-sampling-request',
          arguments: { prompt: 'hi', maxTokens: 5 },
        },
      })) as CallToolResult;
      expect(result.isError).toBeFalsy();
      expect(text(result)).toContain('sampled for the new era');
    } finally {
      await client.close();
    }
  }, 60_000);

  it.each([
    ['/mcp', 'execute_mcp_tool'],
    ['/i/everything/mcp', 'trigger-long-running-operation'],
  ])(
    "relays the upstream's progress on %s to a 2026-07-28 client that asked for it",
    async (path, tool) => {
      const client = await modernClient(`${sat.baseUrl}${path}`);
      const seen: number[] = [];
      const args = { duration: 0.3, steps: 3 };
      try {
        const result = await client.callTool(
          tool === 'execute_mcp_tool'
            ? {
                name: tool,
                arguments: {
                  tool_path: 'everything-trigger-long-running-operation',
                  arguments: args,
                },
              }
            : { name: tool, arguments: args },
          { onprogress: (p) => seen.push(p.progress) },
        );
        expect(result.isError).toBeFalsy();
        expect(seen).toEqual([1, 2, 3]);
      } finally {
        await client.close();
      }
    },
    30_000,
  );

  it('answers a retry whose requestState this replica does not hold with a clear error', async () => {
    const client = await modernClient(`${sat.baseUrl}/i/everything/mcp`);
    try {
      await expect(
        client.request({
          method: 'tools/call',
          params: { name: 'echo', arguments: { message: 'x' }, requestState: 'not-a-held-call' },
        } as never),
      ).rejects.toThrow(/requestState names no upstream call waiting for input here/);
    } finally {
      await client.close();
    }
  });

  it('reaches a 2026-07-28 upstream from both eras; its input_required fails with a clear error', async () => {
    // The satellite reaches upstreams over 2025-11-25; an SDK v2 upstream serves that era
    // statelessly, where it cannot send the client a request: its input_required comes back as
    // a tool error that says so, in either era (docs/protocol.md "Two protocol eras").
    const url = `${sat.baseUrl}/i/modern/mcp`;
    const unbridged = /per-request legacy serving cannot receive server-to-client requests/;
    const legacy = new Client(
      { name: 'legacy-e2e', version: '1.0.0' },
      { capabilities: { elicitation: {} } },
    );
    legacy.setRequestHandler(ElicitRequestSchema, () => ({
      action: 'accept',
      content: { confirm: true },
    }));
    await legacy.connect(new StreamableHTTPClientTransport(new URL(url)));
    try {
      const shout = (await legacy.callTool({
        name: 'shout',
        arguments: { message: 'old era' },
      })) as CallToolResult;
      expect(text(shout)).toBe('OLD ERA');
      const confirm = (await legacy.callTool({ name: 'confirm', arguments: {} })) as CallToolResult;
      expect(confirm.isError).toBe(true);
      expect(text(confirm)).toMatch(unbridged);
    } finally {
      await legacy.close();
    }
    const client = await modernClient(url, { capabilities: { elicitation: { form: {} } } });
    client.setRequestHandler('elicitation/create', () => ({
      action: 'accept',
      content: { confirm: false },
    }));
    try {
      expect(
        text(await client.callTool({ name: 'shout', arguments: { message: 'new era' } })),
      ).toBe('NEW ERA');
      const confirm = await client.callTool({ name: 'confirm', arguments: {} });
      expect(confirm.isError).toBe(true);
      expect(text(confirm)).toMatch(unbridged);
    } finally {
      await client.close();
    }
  }, 60_000);
});
