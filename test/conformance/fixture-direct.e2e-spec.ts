// Invariant: the conformance fixture, served directly (no gateway), passes every check of the MCP
// conformance suite over Streamable HTTP, and its stdio entry serves the same behaviour.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { FIXTURE_STDIO_ENTRY, type FixtureHttp, startFixtureHttp } from './fixture-process.js';
import { parseSse, readSse } from '../support/sse.js';
import { EXPECTED_FAILURES_FILE, runConformance } from './run-conformance.js';

const ACCEPT = 'application/json, text/event-stream';
const V2025_11_25 = '2025-11-25';

async function waitFor(condition: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

function firstText(result: unknown): string {
  const content = (result as { content: { type: string; text?: string }[] }).content;
  return content.find((c) => c.type === 'text')?.text ?? '';
}

describe('conformance fixture over Streamable HTTP', () => {
  let fixture: FixtureHttp;

  beforeAll(async () => {
    fixture = await startFixtureHttp();
  }, 20_000);
  afterAll(() => fixture?.stop());

  it('passes conformance --suite all with no failed check', async () => {
    const result = await runConformance({
      url: fixture.url,
      suite: 'all',
      expectedFailuresFile: EXPECTED_FAILURES_FILE,
    });
    const summary = result.scenarios.map((s) => `${s.name} ${s.passed}/${s.failed}/${s.warnings}`);
    console.log(
      `conformance direct: ${result.passed} passed, ${result.failed} failed, ${result.warnings} warnings, ` +
        `${result.scenarios.length} scenarios in ${result.durationMs} ms\n${summary.join('\n')}`,
    );

    expect(result.failed).toBe(0);
    expect(result.scenarios).toHaveLength(result.announcedScenarios!);
    expect(result.scenarios.every((s) => s.failed === 0)).toBe(true);
    // 44 = every SUCCESS check 0.1.16 can award here (server-sse-polling only warns, see the baseline).
    expect(result.passed).toBeGreaterThanOrEqual(44);
    expect(result.baseline).toMatchObject({ unexpected: [], stale: [] });
    expect(result.ok).toBe(true);
    // A scenario outside the baseline may not even warn.
    const listed = new Set(result.baseline!.expected);
    expect(result.scenarios.filter((s) => s.warnings > 0 && !listed.has(s.name))).toEqual([]);
    expect(fixture.stderr()).toBe('');
  }, 50_000);

  it('closes test_reconnection’s SSE stream mid-call and replays the result on Last-Event-ID (SEP-1699)', async () => {
    // What server-sse-polling would check if 0.1.16 sent the protocol version it tests.
    const post = (body: unknown, headers: Record<string, string> = {}) =>
      fetch(fixture.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers },
        body: JSON.stringify(body),
      });
    const init = await post({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: {
        protocolVersion: V2025_11_25,
        capabilities: {},
        clientInfo: { name: 'sep1699-probe', version: '1' },
      },
    });
    const sessionId = init.headers.get('mcp-session-id')!;
    await init.text();
    const session = { 'mcp-session-id': sessionId, 'mcp-protocol-version': V2025_11_25 };
    expect(
      (await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, session)).status,
    ).toBe(202);

    const call = await post(
      {
        jsonrpc: '2.0',
        id: 7,
        method: 'tools/call',
        params: { name: 'test_reconnection', arguments: {} },
      },
      session,
    );
    expect(call.headers.get('content-type')).toContain('text/event-stream');
    const closedStream = parseSse(await call.text()); // ends without the result: closed mid-call
    expect(closedStream).toHaveLength(1);
    expect(closedStream[0]).toMatchObject({ data: '', retry: 500 });
    expect(closedStream[0].id).toBeTruthy();

    const resumed = await fetch(fixture.url, {
      headers: { accept: 'text/event-stream', ...session, 'last-event-id': closedStream[0].id! },
    });
    expect(resumed.status).toBe(200);
    const replay = parseSse(await readSse(resumed, (text) => text.includes('"id":7')));
    const response = replay
      .map((e) => JSON.parse(e.data) as { id?: number; result?: unknown })
      .find((m) => m.id === 7);
    expect(firstText(response!.result)).toMatch(/stream was closed mid-call/);
  }, 15_000);

  it('lets an SDK client (as a gateway upstream would be) resume test_reconnection on its own', async () => {
    const client = new Client({ name: 'sdk-resume', version: '1' });
    await client.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
    try {
      const started = Date.now();
      const result = await client.callTool({ name: 'test_reconnection', arguments: {} });
      expect(firstText(result)).toMatch(/stream was closed mid-call/);
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await client.close();
    }
  }, 15_000);

  it('rejects a foreign Origin even with a loopback Host, and accepts a loopback one', async () => {
    const initialize = (origin: string) =>
      fetch(fixture.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: ACCEPT, origin },
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: {
            protocolVersion: V2025_11_25,
            capabilities: {},
            clientInfo: { name: 'origin-probe', version: '1' },
          },
        }),
      });
    const foreign = await initialize('https://evil.example.com');
    expect(foreign.status).toBe(403);
    expect(await foreign.json()).toMatchObject({ error: { code: -32000 } });
    const local = await initialize(`http://localhost:${fixture.port}`);
    expect(local.status).toBe(200);
    await local.text();
  });

  it('answers a session id it never issued with 404', async () => {
    const res = await fetch(fixture.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: ACCEPT,
        'mcp-session-id': 'never-issued',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: -32001 } });
  });

  describe('stdio entry', () => {
    let stdio: Client;
    const logs: { level: string; data: unknown }[] = [];
    const updates: string[] = [];

    beforeAll(async () => {
      stdio = new Client(
        { name: 'fixture-stdio-test', version: '1' },
        { capabilities: { sampling: {}, elicitation: {} } },
      );
      stdio.setRequestHandler(CreateMessageRequestSchema, (request) => {
        const content = request.params.messages[0].content;
        const prompt = !Array.isArray(content) && content.type === 'text' ? content.text : '?';
        return {
          role: 'assistant',
          content: { type: 'text', text: `echo ${prompt}` },
          model: 'fake',
          stopReason: 'endTurn',
        };
      });
      stdio.setRequestHandler(ElicitRequestSchema, () => ({
        action: 'accept',
        content: { username: 'ada', email: 'ada@example.com' },
      }));
      stdio.setNotificationHandler(
        LoggingMessageNotificationSchema,
        (n) => void logs.push(n.params),
      );
      stdio.setNotificationHandler(
        ResourceUpdatedNotificationSchema,
        (n) => void updates.push(n.params.uri),
      );
      await stdio.connect(
        new StdioClientTransport({ command: process.execPath, args: [FIXTURE_STDIO_ENTRY] }),
      );
    }, 15_000);
    afterAll(() => stdio?.close());

    it('lists the same tools, resources and prompts as the HTTP entry', async () => {
      const http = new Client({ name: 'fixture-http-test', version: '1' });
      await http.connect(new StreamableHTTPClientTransport(new URL(fixture.url)));
      try {
        const names = async (client: Client) => ({
          tools: (await client.listTools()).tools.map((t) => t.name),
          resources: (await client.listResources()).resources.map((r) => r.uri),
          templates: (await client.listResourceTemplates()).resourceTemplates.map(
            (t) => t.uriTemplate,
          ),
          prompts: (await client.listPrompts()).prompts.map((p) => p.name),
        });
        const overStdio = await names(stdio);
        expect(overStdio).toEqual(await names(http));
        expect(overStdio.tools).toEqual(
          expect.arrayContaining([
            'test_simple_text',
            'test_sampling',
            'test_elicitation',
            'json_schema_2020_12_tool',
          ]),
        );
      } finally {
        await http.close();
      }
    });

    it('runs sampling and elicitation as requests to the client during the call', async () => {
      const sampled = await stdio.callTool({
        name: 'test_sampling',
        arguments: { prompt: 'hello' },
      });
      expect(firstText(sampled)).toBe('LLM response: echo hello');
      const elicited = await stdio.callTool({
        name: 'test_elicitation',
        arguments: { message: 'who?' },
      });
      expect(firstText(elicited)).toBe(
        'User response: action=accept, content={"username":"ada","email":"ada@example.com"}',
      );
      const invalid = await stdio.callTool({ name: 'test_sampling', arguments: {} });
      expect(invalid.isError).toBe(true);
    });

    it('reports progress 0, 50, 100 of 100 to a caller that asked for it', async () => {
      const progress: Progress[] = [];
      await stdio.callTool({ name: 'test_tool_with_progress', arguments: {} }, undefined, {
        onprogress: (p) => progress.push(p),
      });
      await waitFor(() => progress.length >= 3);
      expect(progress.map((p) => [p.progress, p.total])).toEqual([
        [0, 100],
        [50, 100],
        [100, 100],
      ]);
    });

    it('filters log notifications by the level set with logging/setLevel', async () => {
      await stdio.setLoggingLevel('info');
      await stdio.callTool({ name: 'test_tool_with_logging', arguments: {} });
      await waitFor(() => logs.length >= 3);
      expect(logs.map((l) => l.data)).toEqual([
        'Tool execution started',
        'Tool processing data',
        'Tool execution completed',
      ]);

      await stdio.setLoggingLevel('warning');
      await stdio.callTool({ name: 'test_tool_with_logging', arguments: {} });
      await new Promise((r) => setTimeout(r, 100));
      expect(logs).toHaveLength(3);
    });

    it('notifies resource updates only while subscribed', async () => {
      const uri = 'test://watched-resource';
      await stdio.subscribeResource({ uri });
      await stdio.callTool({ name: 'test_update_watched_resource', arguments: {} });
      await waitFor(() => updates.length >= 1);
      expect(updates).toEqual([uri]);
      const read = await stdio.readResource({ uri });
      expect(read.contents[0]).toMatchObject({ uri, text: 'Watched resource content, version 2' });

      await stdio.unsubscribeResource({ uri });
      await stdio.callTool({ name: 'test_update_watched_resource', arguments: {} });
      await new Promise((r) => setTimeout(r, 100));
      expect(updates).toEqual([uri]);
    });

    it('answers templates, prompts, completion and unknown names per the spec', async () => {
      const template = await stdio.readResource({ uri: 'test://template/42/data' });
      expect(JSON.parse((template.contents[0] as { text: string }).text)).toEqual({
        id: '42',
        templateTest: true,
        data: 'Data for ID: 42',
      });
      const prompt = await stdio.getPrompt({
        name: 'test_prompt_with_arguments',
        arguments: { arg1: 'a', arg2: 'b' },
      });
      expect(prompt.messages[0].content).toEqual({
        type: 'text',
        text: "Prompt with arguments: arg1='a', arg2='b'",
      });
      const completion = await stdio.complete({
        ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
        argument: { name: 'arg1', value: 'par' },
      });
      expect(completion.completion.values).toEqual(['paris', 'park', 'party']);

      await expect(stdio.readResource({ uri: 'test://nope' })).rejects.toMatchObject({
        code: -32002,
      });
      await expect(
        stdio.getPrompt({ name: 'test_prompt_with_arguments', arguments: {} }),
      ).rejects.toMatchObject({
        code: -32602,
      });
      await expect(stdio.callTool({ name: 'no_such_tool', arguments: {} })).rejects.toMatchObject({
        code: -32602,
      });
    });
  });
});
