// Invariant: the TasksApi seam (the 2026-07-28 Tasks extension, io.modelcontextprotocol/tasks)
// answers the extension's wire shapes, checked against its schema (@modelcontextprotocol/ext-tasks
// core/v2), for real upstream calls through the executor, with the same engine, store, owner
// isolation and cancellation as /mcp's 2025-11-25 tasks.
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  CancelTaskResultV2Schema,
  CreateTaskResultV2Schema,
  GetTaskResultV2Schema,
  UpdateTaskResultV2Schema,
} from '@modelcontextprotocol/ext-tasks/core/v2';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { ToolExecutorService } from '../src/router/tool-executor.service.js';
import { TASKS_API, type TaskWork, type TasksApi } from '../src/tasks/task-api.js';
import { type Satellite, startSatellite, waitFor } from './support/satellite.js';
import { ROOT, stdioEntry } from './support/upstreams.js';

const SLOW = resolve(ROOT, 'test', 'fixtures', 'slow-server.mjs');
const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

describe('the Tasks extension (2026-07-28) behind TASKS_API', () => {
  let sat: Satellite;
  let api: TasksApi;
  let executor: ToolExecutorService;

  const work = (tool: string, args: Record<string, unknown>): TaskWork => ({
    label: `slow/${tool}`,
    origin: 'slow',
    trace: { traceparent: TRACEPARENT },
    run: (signal) =>
      executor.execute(`slow-${tool}`, args, {
        caller: {},
        signal,
        sendProgress: () => Promise.resolve(),
        trace: { traceparent: TRACEPARENT },
      }),
  });
  const get = async (owner: string, taskId: string) =>
    GetTaskResultV2Schema.parse(await api.handleExtensionRequest(owner, 'tasks/get', { taskId }));
  const rpcError = async (promise: Promise<unknown>) => {
    const err = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(McpError);
    return err as McpError;
  };

  beforeAll(async () => {
    sat = await startSatellite({ slow: stdioEntry(SLOW) });
    api = sat.app.get<TasksApi>(TASKS_API);
    executor = sat.app.get(ToolExecutorService);
  }, 90_000);

  afterAll(async () => {
    await sat?.stop();
  });

  it('answers a CreateTaskResult, then tasks/get until the completed task carries its result', async () => {
    const created = CreateTaskResultV2Schema.parse(
      await api.startExtensionTask('alice', work('slow', { ms: 1500, text: 'later' }), 120_000),
    );
    expect(created).toMatchObject({ resultType: 'task', status: 'working', ttlMs: 120_000 });
    expect(created.pollIntervalMs).toBeGreaterThan(0);
    const working = await get('alice', created.taskId);
    expect(working.status).toBe('working');
    const done = await waitFor(
      'completed',
      async () => {
        const t = await get('alice', created.taskId);
        return t.status === 'completed' ? t : undefined;
      },
      30_000,
    );
    expect(done.resultType).toBe('complete');
    expect(done.status === 'completed' && done.result).toEqual({
      content: [{ type: 'text', text: 'later' }],
    });
  }, 60_000);

  it('the trace context reaches the upstream call', async () => {
    const created = await api.startExtensionTask('alice', work('echo_meta', {}));
    const done = await waitFor('completed', async () => {
      const t = await get('alice', String(created.taskId));
      return t.status === 'completed' ? t : undefined;
    });
    const result = (done as unknown as { result: { content: Array<{ text: string }> } }).result;
    expect(JSON.parse(result.content[0]?.text ?? '')).toMatchObject({ traceparent: TRACEPARENT });
  }, 30_000);

  it('tasks/cancel acknowledges and the upstream observes the cancellation', async () => {
    const count = async () => {
      const r = await executor.execute(
        'slow-cancellations',
        {},
        {
          caller: {},
          signal: new AbortController().signal,
          sendProgress: () => Promise.resolve(),
        },
      );
      return Number((r.content[0] as { text: string }).text);
    };
    const before = await count();
    const created = await api.startExtensionTask('alice', work('slow', { ms: 600_000 }));
    await new Promise((r) => setTimeout(r, 1000));
    const ack = await api.handleExtensionRequest('alice', 'tasks/cancel', {
      taskId: created.taskId,
    });
    expect(CancelTaskResultV2Schema.parse(ack)).toMatchObject({ resultType: 'complete' });
    expect((await get('alice', String(created.taskId))).status).toBe('cancelled');
    await waitFor('the upstream to see the cancellation', async () => (await count()) > before);
    // Cancelling an ended task is acknowledged too.
    expect(
      await api.handleExtensionRequest('alice', 'tasks/cancel', { taskId: created.taskId }),
    ).toEqual({ resultType: 'complete' });
  }, 30_000);

  it('tasks/update is acknowledged (none of these tasks waits for input)', async () => {
    const created = await api.startExtensionTask('alice', work('slow', { ms: 10 }));
    const ack = await api.handleExtensionRequest('alice', 'tasks/update', {
      taskId: created.taskId,
      inputResponses: {},
    });
    expect(UpdateTaskResultV2Schema.parse(ack)).toMatchObject({ resultType: 'complete' });
  });

  it('another owner, an unknown id, bad params and unknown methods get JSON-RPC errors', async () => {
    const created = await api.startExtensionTask('alice', work('slow', { ms: 10 }));
    for (const method of ['tasks/get', 'tasks/cancel'])
      expect(
        (await rpcError(api.handleExtensionRequest('mallory', method, { taskId: created.taskId })))
          .code,
      ).toBe(ErrorCode.InvalidParams);
    expect(
      (
        await rpcError(
          api.handleExtensionRequest('mallory', 'tasks/update', {
            taskId: created.taskId,
            inputResponses: {},
          }),
        )
      ).message,
    ).toMatch(/Task not found/);
    expect((await rpcError(api.handleExtensionRequest('alice', 'tasks/get', {}))).code).toBe(
      ErrorCode.InvalidParams,
    );
    expect((await rpcError(api.handleExtensionRequest('alice', 'tasks/list', {}))).code).toBe(
      ErrorCode.MethodNotFound,
    );
  });
});
