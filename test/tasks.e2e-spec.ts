// Invariant: on /mcp, execute_mcp_tool runs as a 2025-11-25 task for a client that declares the
// tasks capability: the call outlives its request (90 s here, past a client's 60 s timeout), the
// client polls tasks/get and fetches the result; tasks/cancel reaches the upstream as a
// cancellation; an owner sees only its own tasks; the per-owner bound answers a clear error; a
// task expires after its TTL; trace context reaches the upstream's _meta.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type CallToolResult,
  CallToolResultSchema,
  CancelTaskResultSchema,
  CreateTaskResultSchema,
  GetTaskResultSchema,
  ListTasksResultSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { ROOT, stdioEntry } from './support/upstreams.js';
import { EXECUTE, type TokenGrant, writeTokensFile } from './security/support.js';

const SLOW = resolve(ROOT, 'test', 'fixtures', 'slow-server.mjs');
const ALICE: TokenGrant = {
  token: 'tok-tasks-alice-0123456789',
  principal: 'alice',
  teams: ['default'],
  scopes: [EXECUTE],
};
const BOB: TokenGrant = {
  token: 'tok-tasks-bob-0123456789',
  principal: 'bob',
  teams: ['default'],
  scopes: [EXECUTE],
};
const MAX_PER_OWNER = 6;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

async function connect(
  sat: Satellite,
  token: string,
  options: { tasks?: boolean; headers?: Record<string, string> } = {},
): Promise<Client> {
  const client = new Client(
    { name: 'tasks-e2e', version: '1.0.0' },
    { capabilities: options.tasks === false ? {} : { tasks: { list: {}, cancel: {} } } },
  );
  await client.connect(
    new StreamableHTTPClientTransport(new URL(sat.mcpUrl), {
      requestInit: { headers: { authorization: `Bearer ${token}`, ...options.headers } },
      reconnectionOptions: {
        maxRetries: 0,
        initialReconnectionDelay: 1000,
        maxReconnectionDelay: 1000,
        reconnectionDelayGrowFactor: 1,
      },
    }),
  );
  return client;
}

const executeParams = (tool: string, args: Record<string, unknown>) => ({
  name: 'execute_mcp_tool',
  arguments: { tool_path: `slow-${tool}`, arguments: args },
});

function startTask(client: Client, tool: string, args: Record<string, unknown>, ttl = 600_000) {
  return client.request(
    { method: 'tools/call', params: { ...executeParams(tool, args), task: { ttl } } },
    CreateTaskResultSchema,
  );
}

const getTask = (client: Client, taskId: string) =>
  client.request({ method: 'tasks/get', params: { taskId } }, GetTaskResultSchema);

const textOf = (r: { content?: unknown }) =>
  ((r.content ?? []) as Array<{ text?: string }>).map((c) => c.text ?? '').join('');

describe('tool calls as tasks on /mcp (2025-11-25)', () => {
  let sat: Satellite;
  let dir: string;
  const clients: Client[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'satellite-tasks-'));
    writeTokensFile(join(dir, 'tokens.json'), [ALICE, BOB]);
    sat = await startSatellite(
      { slow: stdioEntry(SLOW) },
      {
        DEPLOYSTACK_AUTH: 'tokens',
        DEPLOYSTACK_AUTH_TOKENS_FILE: join(dir, 'tokens.json'),
        DEPLOYSTACK_TASK_MAX_PER_OWNER: String(MAX_PER_OWNER),
        DEPLOYSTACK_TASK_POLL_INTERVAL_MS: '1000',
        // The upstream timeout of a plain call; a task has its own (1 h).
        DEPLOYSTACK_TOOL_CALL_TIMEOUT_MS: '30000',
      },
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close().catch(() => undefined)));
    await sat?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs a 90 s call as a task: the client polls tasks/get, then fetches the result', async () => {
    const alice = await connect(sat, ALICE.token);
    clients.push(alice);
    const tools = await alice.listTools();
    expect(tools.tools.find((t) => t.name === 'execute_mcp_tool')?.execution).toEqual({
      taskSupport: 'optional',
    });
    expect(alice.getServerCapabilities()?.tasks).toMatchObject({
      requests: { tools: { call: {} } },
    });
    const created = await startTask(alice, 'slow', { ms: 90_000, text: 'ninety seconds later' });
    expect(created.task.status).toBe('working');
    expect(created.task.pollInterval).toBe(1000);
    let polls = 0;
    const done = await waitFor(
      'the task to complete',
      async () => {
        polls++;
        const t = await getTask(alice, created.task.taskId);
        return t.status === 'completed' ? t : undefined;
      },
      240_000,
    );
    expect(done.taskId).toBe(created.task.taskId);
    // It was polled while it ran, each poll answered at once.
    expect(polls).toBeGreaterThan(1);
    const result = await alice.request(
      { method: 'tasks/result', params: { taskId: created.task.taskId } },
      CallToolResultSchema,
    );
    expect(textOf(result)).toBe('ninety seconds later');
    expect(result._meta?.['io.modelcontextprotocol/related-task']).toEqual({
      taskId: created.task.taskId,
    });
    const listed = await alice.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(listed.tasks.map((t) => t.taskId)).toContain(created.task.taskId);
  }, 300_000);

  it('tasks/cancel cancels the upstream call (the upstream sees the cancellation)', async () => {
    const alice = await connect(sat, ALICE.token);
    clients.push(alice);
    const count = async () =>
      Number(textOf((await alice.callTool(executeParams('cancellations', {}))) as CallToolResult));
    const before = await count();
    const created = await startTask(alice, 'slow', { ms: 600_000 });
    // The call has reached the upstream once the satellite's call is in flight; give it a moment.
    await new Promise((r) => setTimeout(r, 1000));
    const cancelled = await alice.request(
      { method: 'tasks/cancel', params: { taskId: created.task.taskId } },
      CancelTaskResultSchema,
    );
    expect(cancelled.status).toBe('cancelled');
    await waitFor('the upstream to count the cancellation', async () => (await count()) > before);
    expect((await getTask(alice, created.task.taskId)).status).toBe('cancelled');
    await expect(
      alice.request(
        { method: 'tasks/cancel', params: { taskId: created.task.taskId } },
        CancelTaskResultSchema,
      ),
    ).rejects.toThrow(/already ended/);
  }, 60_000);

  it('shows an owner only its own tasks, and bounds how many it holds', async () => {
    const alice = await connect(sat, ALICE.token);
    const bob = await connect(sat, BOB.token);
    clients.push(alice, bob);
    const created = await startTask(alice, 'slow', { ms: 100 });
    await expect(getTask(bob, created.task.taskId)).rejects.toThrow(/Task not found/);
    await expect(
      bob.request(
        { method: 'tasks/cancel', params: { taskId: created.task.taskId } },
        CancelTaskResultSchema,
      ),
    ).rejects.toThrow(/Task not found/);
    await expect(
      bob.request(
        { method: 'tasks/result', params: { taskId: created.task.taskId } },
        CallToolResultSchema,
      ),
    ).rejects.toThrow(/Task not found/);
    const bobs = await bob.request({ method: 'tasks/list', params: {} }, ListTasksResultSchema);
    expect(bobs.tasks).toEqual([]);
    for (let i = 0; i < MAX_PER_OWNER; i++) await startTask(bob, 'slow', { ms: 10 });
    await expect(startTask(bob, 'slow', { ms: 10 })).rejects.toThrow(
      new RegExp(
        `Task limit reached: you hold ${MAX_PER_OWNER} tasks \\(at most ${MAX_PER_OWNER}\\)`,
      ),
    );
  }, 60_000);

  it('forgets a task once its TTL has passed', async () => {
    const bob2 = await connect(sat, ALICE.token);
    clients.push(bob2);
    const created = await startTask(bob2, 'slow', { ms: 10 }, 1000);
    expect(created.task.ttl).toBe(1000);
    await waitFor(
      'the task to expire',
      async () =>
        getTask(bob2, created.task.taskId).then(
          () => undefined,
          (e: Error) => e.message,
        ),
      10_000,
    ).then((message) => expect(message).toMatch(/Task not found/));
  }, 30_000);

  it('refuses a task to a client that did not declare the capability; plain calls work as before', async () => {
    const plain = await connect(sat, BOB.token, { tasks: false });
    clients.push(plain);
    await expect(startTask(plain, 'slow', { ms: 10 })).rejects.toThrow(/tasks capability/);
    const result = (await plain.callTool(
      executeParams('slow', { ms: 10, text: 'direct' }),
    )) as CallToolResult;
    expect(textOf(result)).toBe('direct');
  }, 30_000);

  it('passes trace context from _meta, or from the traceparent header, to the upstream', async () => {
    const alice = await connect(sat, ALICE.token, {
      headers: { traceparent: '00-11111111111111111111111111111111-2222222222222222-01' },
    });
    clients.push(alice);
    const echo = async (meta?: Record<string, unknown>) =>
      JSON.parse(
        textOf(
          (await alice.callTool({
            ...executeParams('echo_meta', {}),
            ...(meta ? { _meta: meta } : {}),
          })) as CallToolResult,
        ),
      ) as Record<string, unknown>;
    expect(
      await echo({ traceparent: TRACEPARENT, tracestate: 'vendor=abc', baggage: 'k=v' }),
    ).toMatchObject({
      traceparent: TRACEPARENT,
      tracestate: 'vendor=abc',
      baggage: 'k=v',
    });
    // No _meta: the header's.
    expect((await echo()).traceparent).toBe(
      '00-11111111111111111111111111111111-2222222222222222-01',
    );
    // An invalid one is dropped (not replaced by the header's: the request said something).
    expect((await echo({ traceparent: '00-zz-bad-01' })).traceparent).toBeUndefined();
    // A task's call carries it too.
    const created = await alice.request(
      {
        method: 'tools/call',
        params: {
          ...executeParams('echo_meta', {}),
          task: { ttl: 60_000 },
          _meta: { traceparent: TRACEPARENT },
        },
      },
      CreateTaskResultSchema,
    );
    const result = await alice.request(
      { method: 'tasks/result', params: { taskId: created.task.taskId } },
      CallToolResultSchema,
    );
    expect(JSON.parse(textOf(result))).toMatchObject({ traceparent: TRACEPARENT });
    // REST calls take it from the headers.
    const rest = await fetch(`${sat.baseUrl}/api/tools/slow-echo_meta/call`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${ALICE.token}`,
        'content-type': 'application/json',
        traceparent: TRACEPARENT,
        tracestate: 'vendor=rest',
      },
      body: '{}',
    });
    expect(rest.status).toBe(200);
    expect(JSON.parse(textOf((await rest.json()) as CallToolResult))).toMatchObject({
      traceparent: TRACEPARENT,
      tracestate: 'vendor=rest',
    });
  }, 30_000);
});
