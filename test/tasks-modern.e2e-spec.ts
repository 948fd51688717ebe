// Invariant: over real HTTP in the 2026-07-28 era, a tools/call whose request declares the Tasks
// extension (io.modelcontextprotocol/tasks) on /mcp (execute_mcp_tool) or on a direct endpoint
// answers a CreateTaskResult; tasks/get, polled at the advised interval, ends with the tool's own
// result; tasks/cancel reaches the upstream as a cancellation; another principal can neither get
// nor cancel the task; a request without the extension gets the plain result; a task's call has
// the task's upstream timeout, not the server's per-call one; the request's trace context reaches
// the upstream (docs/tasks.md "2026-07-28 (the Tasks extension)").
//
// The SDK v2 client (`@modelcontextprotocol/client` 2.4) turns a `resultType: "task"` answer to
// tools/call into an "Unsupported result type" error, so a task is created by raw fetch with the
// 2026-07-28 envelope; tasks/get and tasks/cancel, and the plain call, go through the real v2
// client (which declares the extension). Answers are parsed with the extension's own schemas
// (`@modelcontextprotocol/ext-tasks` core/v2).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  Client as ModernClient,
  StreamableHTTPClientTransport as ModernTransport,
} from '@modelcontextprotocol/client';
import {
  CreateTaskResultV2Schema,
  DetailedTaskV2Schema,
} from '@modelcontextprotocol/ext-tasks/core/v2';
import { z } from 'zod';
import { type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { ROOT, stdioEntry } from './support/upstreams.js';
import { EXECUTE, type TokenGrant, writeTokensFile } from './security/support.js';

const MODERN = '2026-07-28';
const TASKS = 'io.modelcontextprotocol/tasks';
const SLOW = resolve(ROOT, 'test', 'fixtures', 'slow-server.mjs');
const TRACEPARENT = '00-5bf92f3577b34da6a3ce929d0e0e4737-10f067aa0ba902b8-01';
const POLL_MS = 400;
const TTL_MS = 600_000;
const SHORT_TIMEOUT_MS = 1000;
const ALICE: TokenGrant = {
  token: 'tok-modern-tasks-alice-0123',
  principal: 'alice',
  teams: ['default'],
  scopes: [EXECUTE],
};
const BOB: TokenGrant = {
  token: 'tok-modern-tasks-bob-012345',
  principal: 'bob',
  teams: ['default'],
  scopes: [EXECUTE],
};
type Answer =
  | { result: Record<string, unknown>; error?: undefined }
  | { error: { code: number; message: string }; result?: undefined };

let nextId = 1;

/**
 * One 2026-07-28 tools/call as a client sends it: the per-request envelope in `_meta` (protocol
 * version, client info, client capabilities, with the Tasks extension when `tasks`), the standard
 * headers, the caller's bearer token. Answers the JSON-RPC response, from JSON or an SSE stream.
 */
async function callTool(
  url: string,
  token: string,
  params: { name: string; arguments: Record<string, unknown> },
  opts: { tasks?: boolean; meta?: Record<string, unknown> } = {},
): Promise<Answer> {
  const id = nextId++;
  const method = 'tools/call';
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      authorization: `Bearer ${token}`,
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      'mcp-name': params.name,
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id,
      method,
      params: {
        ...params,
        _meta: {
          ...opts.meta,
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'modern-tasks-e2e', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities':
            opts.tasks === false ? {} : { extensions: { [TASKS]: {} } },
        },
      },
    }),
  });
  const body = await res.text();
  const messages = (res.headers.get('content-type') ?? '').includes('text/event-stream')
    ? body
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => JSON.parse(line.slice(5)) as Record<string, unknown>)
    : [JSON.parse(body) as Record<string, unknown>];
  const answer = messages.find((m) => m.id === id);
  if (!answer) throw new Error(`no response to ${method} (HTTP ${res.status}): ${body}`);
  return answer as Answer;
}

const resultOf = (answer: Answer): Record<string, unknown> => {
  if (answer.error) throw new Error(`JSON-RPC error ${answer.error.code}: ${answer.error.message}`);
  return answer.result;
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const textOf = (r: { content?: unknown }) =>
  ((r.content ?? []) as Array<{ type: string; text?: string }>)
    .map((c) => (c.type === 'text' ? c.text : ''))
    .join('');

describe('Tasks in the 2026-07-28 era over HTTP (/mcp and a direct endpoint)', () => {
  let sat: Satellite;
  let dir: string;
  let mcp: string;
  let direct: string;

  const execute = (tool: string, args: Record<string, unknown>) => ({
    name: 'execute_mcp_tool',
    arguments: { tool_path: `slow-${tool}`, arguments: args },
  });
  const clients = new Map<string, ModernClient>();
  /** The real SDK v2 client of one principal on one endpoint, declaring the Tasks extension. */
  const taskClient = async (url: string, token: string) => {
    const key = `${url} ${token}`;
    const known = clients.get(key);
    if (known) return known;
    const client = new ModernClient(
      { name: 'modern-tasks-e2e', version: '1.0.0' },
      { capabilities: { extensions: { [TASKS]: {} } }, versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(
      new ModernTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
    clients.set(key, client);
    return client;
  };
  // The v2 client checks the wire's `resultType: "complete"` itself and hands the schema the
  // result without it: a GetTaskResult is then a DetailedTask. Its nested objects come from the
  // runtime's fetch, outside jest's module realm, and fail the extension's plain-object check: the
  // answer is re-read in this realm (a JSON round trip) before its schema parses it.
  const get = async (url: string, token: string, taskId: string) =>
    DetailedTaskV2Schema.parse(
      JSON.parse(
        JSON.stringify(
          await (
            await taskClient(url, token)
          ).request({ method: 'tasks/get', params: { taskId } }, z.record(z.string(), z.unknown())),
        ),
      ),
    );
  // A CancelTaskResult is an empty Result once the client has taken its resultType.
  const cancel = async (url: string, token: string, taskId: string) =>
    (await taskClient(url, token)).request(
      { method: 'tasks/cancel', params: { taskId } },
      z.object({ _meta: z.record(z.string(), z.unknown()).optional() }).strict(),
    );
  /** Polls tasks/get, waiting the task's own pollIntervalMs between polls, until it has ended. */
  const settle = async (url: string, token: string, taskId: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    let polls = 0;
    for (;;) {
      const task = await get(url, token, taskId);
      polls++;
      if (task.status !== 'working') return { task, polls };
      if (Date.now() > deadline) throw new Error(`task ${taskId} still working after polling`);
      await sleep(task.pollIntervalMs ?? POLL_MS);
    }
  };
  /** How many slow calls the fixture saw cancelled (a plain call: no extension declared). */
  const cancellations = async () =>
    Number(
      textOf(
        resultOf(
          await callTool(mcp, ALICE.token, execute('cancellations', {}), {
            tasks: false,
          }),
        ),
      ),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-modern-tasks-'));
    writeTokensFile(join(dir, 'tokens.json'), [ALICE, BOB]);
    sat = await startSatellite(
      {
        slow: stdioEntry(SLOW),
        // The same fixture with a per-call timeout far below its calls: a task has its own.
        short: stdioEntry(SLOW, [], { timeout: SHORT_TIMEOUT_MS }),
      },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
        DEPLOYSTACK_TASK_POLL_INTERVAL_MS: String(POLL_MS),
        DEPLOYSTACK_TASK_TTL_MS: String(TTL_MS),
      },
    );
    mcp = sat.mcpUrl;
    direct = `${sat.baseUrl}/i/slow/mcp`;
  }, 90_000);

  afterAll(async () => {
    await Promise.all([...clients.values()].map((c) => c.close().catch(() => undefined)));
    await sat?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs execute_mcp_tool on /mcp as a task, polled until it carries the tool result', async () => {
    const created = CreateTaskResultV2Schema.parse(
      resultOf(await callTool(mcp, ALICE.token, execute('slow', { ms: 2500, text: 'later' }))),
    );
    // The extension's creation is server-directed: the configured lifetime and poll interval.
    expect(created).toMatchObject({
      resultType: 'task',
      status: 'working',
      ttlMs: TTL_MS,
      pollIntervalMs: POLL_MS,
    });
    const { task, polls } = await settle(mcp, ALICE.token, created.taskId);
    expect(polls).toBeGreaterThan(1);
    expect(task.status).toBe('completed');
    expect(task.status === 'completed' && task.result).toEqual({
      content: [{ type: 'text', text: 'later' }],
    });
  }, 90_000);

  it('runs tools/call on a direct endpoint as a task, polled until it carries the tool result', async () => {
    const created = CreateTaskResultV2Schema.parse(
      resultOf(
        await callTool(direct, ALICE.token, {
          name: 'slow',
          arguments: { ms: 2000, text: 'direct later' },
        }),
      ),
    );
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: TTL_MS });
    const { task } = await settle(direct, ALICE.token, created.taskId);
    expect(task.status).toBe('completed');
    expect(task.status === 'completed' && task.result).toEqual({
      content: [{ type: 'text', text: 'direct later' }],
    });
  }, 90_000);

  it('cancels a running task: the upstream sees the cancellation, tasks/get says cancelled', async () => {
    const before = await cancellations();
    const created = CreateTaskResultV2Schema.parse(
      resultOf(await callTool(mcp, ALICE.token, execute('slow', { ms: 120_000 }))),
    );
    expect((await get(mcp, ALICE.token, created.taskId)).status).toBe('working');
    await cancel(mcp, ALICE.token, created.taskId);
    await waitFor(
      'the upstream to count the cancellation',
      async () => (await cancellations()) > before,
      30_000,
    );
    expect((await get(mcp, ALICE.token, created.taskId)).status).toBe('cancelled');
  }, 90_000);

  it("keeps a task from another principal: bob can neither get nor cancel alice's task", async () => {
    for (const url of [mcp, direct]) {
      const call =
        url === mcp ? execute('slow', { ms: 60_000 }) : { name: 'slow', arguments: { ms: 60_000 } };
      const created = CreateTaskResultV2Schema.parse(
        resultOf(await callTool(url, ALICE.token, call)),
      );
      await expect(get(url, BOB.token, created.taskId)).rejects.toThrow(/Task not found/);
      await expect(cancel(url, BOB.token, created.taskId)).rejects.toThrow(/Task not found/);
      // Bob's cancel changed nothing: the task still runs for alice, who then ends it.
      expect((await get(url, ALICE.token, created.taskId)).status).toBe('working');
      await cancel(url, ALICE.token, created.taskId);
      expect((await get(url, ALICE.token, created.taskId)).status).toBe('cancelled');
    }
  }, 90_000);

  it('answers the plain result to a client that does not declare the extension', async () => {
    // The real SDK v2 client, which declares no extension.
    const client = new ModernClient(
      { name: 'modern-tasks-plain', version: '1.0.0' },
      { capabilities: {}, versionNegotiation: { mode: 'auto' } },
    );
    await client.connect(
      new ModernTransport(new URL(mcp), {
        requestInit: { headers: { authorization: `Bearer ${ALICE.token}` } },
      }),
    );
    try {
      expect(client.getNegotiatedProtocolVersion()).toBe(MODERN);
      const result = await client.callTool(execute('slow', { ms: 300, text: 'plain' }));
      expect(result).not.toHaveProperty('taskId');
      expect(textOf(result)).toBe('plain');
    } finally {
      await client.close();
    }
    // The same on the wire, for both endpoints: a complete result, no task.
    for (const [url, call] of [
      [mcp, execute('slow', { ms: 300, text: 'plain wire' })],
      [direct, { name: 'slow', arguments: { ms: 300, text: 'plain wire' } }],
    ] as const) {
      const result = resultOf(await callTool(url, ALICE.token, call, { tasks: false }));
      expect(result.resultType).toBe('complete');
      expect(result).not.toHaveProperty('taskId');
      expect(textOf(result)).toBe('plain wire');
    }
  }, 90_000);

  it("gives a task the task's upstream timeout, not the server's per-call one, on both endpoints", async () => {
    // A plain call of the short server is cut at its per-call timeout...
    const plain = await callTool(
      `${sat.baseUrl}/i/short/mcp`,
      ALICE.token,
      { name: 'slow', arguments: { ms: 3 * SHORT_TIMEOUT_MS } },
      { tasks: false },
    );
    expect(plain.result).toBeUndefined();
    expect(plain.error?.message).toMatch(/timed out/i);
    // ...a task of the same call outlives it, on /mcp and on the direct endpoint.
    for (const [url, call] of [
      [
        mcp,
        {
          name: 'execute_mcp_tool',
          arguments: {
            tool_path: 'short-slow',
            arguments: { ms: 3 * SHORT_TIMEOUT_MS, text: 'outlived' },
          },
        },
      ],
      [
        `${sat.baseUrl}/i/short/mcp`,
        { name: 'slow', arguments: { ms: 3 * SHORT_TIMEOUT_MS, text: 'outlived' } },
      ],
    ] as const) {
      const created = CreateTaskResultV2Schema.parse(
        resultOf(await callTool(url, ALICE.token, call)),
      );
      const { task } = await settle(url, ALICE.token, created.taskId);
      expect(task.status).toBe('completed');
      expect(task.status === 'completed' && task.result).toEqual({
        content: [{ type: 'text', text: 'outlived' }],
      });
    }
  }, 90_000);

  it("carries the request's trace context to the upstream of a task-run call", async () => {
    for (const [url, call] of [
      [mcp, execute('echo_meta', {})],
      [direct, { name: 'echo_meta', arguments: {} }],
    ] as const) {
      const created = CreateTaskResultV2Schema.parse(
        resultOf(await callTool(url, ALICE.token, call, { meta: { traceparent: TRACEPARENT } })),
      );
      const { task } = await settle(url, ALICE.token, created.taskId);
      expect(task.status).toBe('completed');
      const echoed = JSON.parse(textOf(task.status === 'completed' ? task.result : {})) as Record<
        string,
        unknown
      >;
      expect(echoed.traceparent).toBe(TRACEPARENT);
    }
  }, 90_000);
});
