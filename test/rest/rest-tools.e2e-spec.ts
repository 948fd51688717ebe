// Invariant: /api/tools searches like discover_mcp_tools and calls through the same executor as
// execute_mcp_tool, over plain HTTP: arguments that miss the input schema never reach the
// upstream, errors are RFC 9457 problems, progress streams as SSE before the result, a client
// that goes away cancels the upstream call, and both OpenAPI documents are valid.
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { connectClient, type Satellite, startSatellite, waitFor } from '../support/satellite.js';
import {
  EVERYTHING,
  type HttpPeer,
  ROOT,
  startEverythingHttp,
  stdioEntry,
} from '../support/upstreams.js';
import { expectValidOpenApi, getJson, postJson, readEvents } from './support.js';

const PROBE = resolve(ROOT, 'test', 'fixtures', 'probe-server.mjs');
const COUNTING = resolve(ROOT, 'test', 'fixtures', 'rest', 'counting-server.mjs');
const PROBLEM = 'application/problem+json';

describe('REST tools: /api/tools (real satellite, real upstreams, real HTTP)', () => {
  let sat: Satellite;
  let http: HttpPeer;
  let mcp: Client;
  let api: string;

  beforeAll(async () => {
    http = await startEverythingHttp('streamableHttp');
    sat = await startSatellite({
      everything: stdioEntry(EVERYTHING, ['stdio']),
      'everything-http': { type: 'http', url: http.url },
      probe: stdioEntry(PROBE),
      counting: stdioEntry(COUNTING, [], { timeout: 1_500 }),
    });
    api = `${sat.baseUrl}/api/tools`;
    mcp = await connectClient(sat.mcpUrl);
  }, 120_000);

  afterAll(async () => {
    await mcp?.close().catch(() => undefined);
    await sat?.stop();
    await http?.stop();
  });

  const received = async () => {
    const r = await postJson(`${api}/counting-calls_received/call`, {});
    return (r.body.structuredContent as { received: number }).received;
  };

  it('searches like discover_mcp_tools: same hits, same shape', async () => {
    // server-everything adds tools once initialized (tools/list_changed), so the catalog may
    // still grow after the boot: the two answers are compared when the same REST answer came
    // before and after the MCP one, i.e. when the catalog held still in between.
    const search = () => getJson(`${api}?query=${encodeURIComponent('echo a message')}&limit=5`);
    const { rest, viaMcp } = await waitFor('a catalog that holds still', async () => {
      const before = await search();
      const viaMcp = (await mcp.callTool({
        name: 'discover_mcp_tools',
        arguments: { query: 'echo a message', limit: 5 },
      })) as CallToolResult;
      const after = await search();
      return isDeepStrictEqual(before.body, after.body) && { rest: before, viaMcp };
    });
    expect(rest.status).toBe(200);
    expect(rest.body).toEqual(viaMcp.structuredContent);
    const tools = rest.body.tools as Record<string, unknown>[];
    expect(tools.map((t) => t.tool_path)).toContain('everything-echo');
    for (const t of tools) {
      expect(Object.keys(t).sort()).toEqual(
        ['description', 'input_schema', 'score', 'server', 'tool_path', 'transport'].sort(),
      );
    }

    const one = await getJson(`${api}?query=*&server=counting&limit=50`);
    expect((one.body.tools as { tool_path: string }[]).map((t) => t.tool_path).sort()).toEqual([
      'counting-calls_received',
      'counting-fail',
      'counting-record',
      'counting-sleep',
    ]);
  });

  it('refuses a bad search query as a 400 problem', async () => {
    for (const q of ['limit=0', 'limit=abc', 'limit=51']) {
      const r = await getJson(`${api}?query=echo&${q}`);
      expect(r.status).toBe(400);
      expect(r.headers.get('content-type')).toContain(PROBLEM);
      expect(r.body).toMatchObject({
        status: 400,
        title: expect.any(String),
        type: expect.any(String),
      });
      expect(r.body.detail).toMatch(/limit/);
    }
  });

  it("returns one tool's definition, and 404 with the closest paths for an unknown one", async () => {
    const r = await getJson(`${api}/everything-echo`);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      tool_path: 'everything-echo',
      server: 'everything',
      name: 'echo',
      transport: 'stdio',
      input_schema: { type: 'object', properties: { message: expect.any(Object) } },
    });
    // the `{server}:{tool}` spelling execute_mcp_tool accepts names the same tool
    expect((await getJson(`${api}/everything:echo`)).body.tool_path).toBe('everything-echo');

    const unknown = await getJson(`${api}/everything-ecoh`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toContain(PROBLEM);
    expect(unknown.body).toMatchObject({
      type: 'urn:deploystack:satellite:problem:unknown-tool',
      status: 404,
      tool_path: 'everything-ecoh',
    });
    expect(unknown.body.suggestions).toContain('everything-echo');
  });

  it('calls a tool: the body is its arguments, the answer its result verbatim', async () => {
    for (const server of ['everything', 'everything-http']) {
      const r = await postJson(`${api}/${server}-echo/call`, { message: `hi from ${server}` });
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toContain('application/json');
      expect(r.body).toEqual({ content: [{ type: 'text', text: `Echo: hi from ${server}` }] });
    }
    const structured = await postJson(`${api}/everything-get-structured-content/call`, {
      location: 'New York',
    });
    expect(structured.status).toBe(200);
    expect(structured.body.structuredContent).toBeDefined();
  });

  it('refuses arguments that miss the input schema with a 400 problem; the upstream never sees them', async () => {
    const before = await received();
    const r = await postJson(`${api}/counting-record/call`, {
      priority: 9,
      tags: ['ok', 'Not-Ok'],
      extra: true,
    });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain(PROBLEM);
    expect(r.body).toMatchObject({
      type: 'urn:deploystack:satellite:problem:invalid-arguments',
      title: expect.any(String),
      status: 400,
      detail: expect.stringContaining('counting-record'),
      tool_path: 'counting-record',
    });
    const errors = r.body.errors as { pointer: string; keyword: string }[];
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pointer: '/note', keyword: 'required' }),
        expect.objectContaining({ pointer: '/priority', keyword: 'maximum' }),
        expect.objectContaining({ pointer: '/tags/1', keyword: 'pattern' }),
        expect.objectContaining({ pointer: '/extra', keyword: 'additionalProperties' }),
      ]),
    );
    // Not JSON, not an object: refused before the schema too.
    const array = await postJson(`${api}/counting-record/call`, ['x']);
    expect(array.status).toBe(400);
    const text = await fetch(`${api}/counting-record/call`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'note',
    });
    expect(text.status).toBe(415);
    const broken = await fetch(`${api}/counting-record/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"note":',
    });
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { detail: string }).detail).toMatch(/not valid JSON/);
    expect(await received()).toBe(before);

    const ok = await postJson(`${api}/counting-record/call`, { note: 'fine', tags: ['a'] });
    expect(ok.status).toBe(200);
    expect(await received()).toBe(before + 1);
  });

  it('answers a call of an unknown tool with 404 and the closest paths', async () => {
    const r = await postJson(`${api}/everything-ecoh/call`, { message: 'x' });
    expect(r.status).toBe(404);
    expect(r.body.suggestions).toContain('everything-echo');
  });

  it('maps an upstream error to 502 and a timeout to 504, as problems', async () => {
    const failed = await postJson(`${api}/counting-fail/call`, {});
    expect(failed.status).toBe(502);
    expect(failed.headers.get('content-type')).toContain(PROBLEM);
    expect(failed.body).toMatchObject({
      type: 'urn:deploystack:satellite:problem:upstream-failure',
      server: 'counting',
      upstream_code: -32603,
    });
    expect(failed.body.detail).toMatch(/failing on purpose/);

    const slow = await postJson(`${api}/counting-sleep/call`, { ms: 5_000 });
    expect(slow.status).toBe(504);
    expect(slow.body).toMatchObject({
      type: 'urn:deploystack:satellite:problem:upstream-timeout',
      timeout_ms: 1_500,
    });
  });

  it('streams progress as SSE events before the result', async () => {
    const res = await fetch(`${api}/everything-http-trigger-long-running-operation/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ duration: 0.6, steps: 3 }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const events = await readEvents(res);
    expect(events.map((e) => e.event)).toEqual(['progress', 'progress', 'progress', 'result']);
    expect(events.slice(0, 3).map((e) => (e.data as { progress: number }).progress)).toEqual([
      1, 2, 3,
    ]);
    expect(events[0].data).toMatchObject({ total: 3 });
    expect(JSON.stringify(events[3].data)).toContain('Long running operation completed');

    // Refused before any event: its own status, not a stream.
    const bad = await fetch(`${api}/everything-http-trigger-long-running-operation/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify({ duration: 'long' }),
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toContain(PROBLEM);
  });

  it('cancels the upstream call (notifications/cancelled) when the client goes away', async () => {
    const lastCancel = async () => {
      const r = await postJson(`${api}/probe-last_cancel_at/call`, {});
      return Number((r.body.content as { text: string }[])[0].text);
    };
    const before = await lastCancel();
    const controller = new AbortController();
    const res = await fetch(`${api}/probe-wait_for_cancel/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: '{}',
      signal: controller.signal,
    });
    expect(res.status).toBe(200);
    const seen = await readEvents(res, (e) => e.event === 'progress');
    expect(seen.at(-1)?.event).toBe('progress');
    controller.abort();
    const cancelledAt = await waitFor(
      'the upstream to receive notifications/cancelled',
      async () => {
        const at = await lastCancel();
        return at > before ? at : undefined;
      },
      20_000,
    );
    expect(cancelledAt).toBeGreaterThan(before);
    // the upstream stays usable
    const after = await postJson(`${api}/everything-echo/call`, { message: 'after' });
    expect(after.body).toEqual({ content: [{ type: 'text', text: 'Echo: after' }] });
  });

  it('cancels a plain JSON call too when the client goes away', async () => {
    const lastCancel = async () => {
      const r = await postJson(`${api}/probe-last_cancel_at/call`, {});
      return Number((r.body.content as { text: string }[])[0].text);
    };
    const before = await lastCancel();
    const controller = new AbortController();
    const pending = fetch(`${api}/probe-wait_for_cancel/call`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
      signal: controller.signal,
    }).catch((err: unknown) => err);
    // the call is running upstream once the satellite counts it in flight
    await new Promise((r) => setTimeout(r, 300));
    controller.abort();
    await pending;
    const at = await waitFor(
      'the upstream to receive notifications/cancelled',
      async () => ((await lastCancel()) > before ? true : undefined),
      20_000,
    );
    expect(at).toBe(true);
  });

  it('serves a valid per-caller OpenAPI document with one operation per tool', async () => {
    const r = await getJson(`${api}/openapi.json`);
    expect(r.status).toBe(200);
    await expectValidOpenApi(r.body);
    const paths = r.body.paths as Record<
      string,
      { post: { operationId: string; requestBody: unknown } }
    >;
    const listed = Object.keys(paths);
    expect(listed).toContain('/api/tools/everything-echo/call');
    expect(listed).toContain('/api/tools/counting-record/call');
    const visible = await getJson(`${api}?query=*&limit=50`);
    expect(listed.length).toBe(visible.body.total_found);
    const ids = Object.values(paths).map((p) => p.post.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    // the tool's local $refs point into the document
    const schemas = (r.body.components as { schemas: Record<string, Record<string, unknown>> })
      .schemas;
    expect(JSON.stringify(schemas['counting-record_input'])).toContain(
      '#/components/schemas/counting-record_input/$defs/tag',
    );
  });

  it('documents the routes in /documentation with schemas, and that document is valid', async () => {
    const r = await getJson(`${sat.baseUrl}/documentation-json`);
    expect(r.status).toBe(200);
    await expectValidOpenApi(r.body);
    const paths = r.body.paths as Record<
      string,
      Record<string, { responses: Record<string, unknown> }>
    >;
    expect(Object.keys(paths)).toEqual(
      expect.arrayContaining([
        '/api/tools',
        '/api/tools/openapi.json',
        '/api/tools/{tool_path}',
        '/api/tools/{tool_path}/call',
      ]),
    );
    const call = paths['/api/tools/{tool_path}/call'].post;
    expect(Object.keys(call.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403', '404', '502', '503', '504']),
    );
    expect(JSON.stringify(call.responses['400'])).toContain('application/problem+json');
  });

  it('answers routes it does not have under /api/tools as problems', async () => {
    const r = await getJson(`${api}/everything-echo/nothing`);
    expect(r.status).toBe(404);
    expect(r.headers.get('content-type')).toContain(PROBLEM);
  });
});
