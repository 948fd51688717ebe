import { Injectable } from '@nestjs/common';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CancelTaskRequestSchema,
  type CreateTaskResult,
  ErrorCode,
  GetTaskPayloadRequestSchema,
  GetTaskRequestSchema,
  ListTasksRequestSchema,
  McpError,
  RELATED_TASK_META_KEY,
  type Result,
  type Task,
} from '@modelcontextprotocol/sdk/types.js';
import type { MetaTaskRunner } from '../router/meta-task-runner.js';
import { toMcpError, wire } from './extension-tasks.api.js';
import type { TaskRecord } from './task.store.js';
import { TasksService } from './tasks.service.js';

/**
 * 2025-11-25 experimental tasks (core `tasks` capability, docs/tasks.md "2025-11-25") on the
 * engine, for the meta-tool server of one owner: task-augmented `tools/call` of
 * execute_mcp_tool, and `tasks/get`, `tasks/result` (blocks until the task ends), `tasks/list`,
 * `tasks/cancel`.
 */
@Injectable()
export class LegacyTasksBinder {
  constructor(private readonly tasks: TasksService) {}

  forOwner(owner: string): MetaTaskRunner {
    return {
      install: (server) => this.install(server, owner),
      start: (work, ttl) =>
        wire((): CreateTaskResult => ({ task: legacyTask(this.tasks.start(owner, work, ttl)) })),
    };
  }

  private install(server: Server, owner: string): void {
    server.registerCapabilities({
      tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } },
    });
    server.setRequestHandler(GetTaskRequestSchema, (request) =>
      wire(() => legacyTask(this.tasks.get(owner, request.params.taskId))),
    );
    server.setRequestHandler(ListTasksRequestSchema, (request) =>
      wire(() => {
        const page = this.tasks.list(owner, request.params?.cursor);
        return {
          tasks: page.tasks.map(legacyTask),
          ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
        };
      }),
    );
    server.setRequestHandler(CancelTaskRequestSchema, (request) =>
      wire(() => legacyTask(this.tasks.cancel(owner, request.params.taskId))),
    );
    server.setRequestHandler(GetTaskPayloadRequestSchema, async (request, extra) => {
      const { taskId } = request.params;
      let task: TaskRecord;
      try {
        task = await this.tasks.ended(owner, taskId, extra.signal);
      } catch (err) {
        throw toMcpError(err);
      }
      if (task.status === 'completed') {
        const result = JSON.parse(task.result ?? '{}') as Result;
        // The result names its task (2025-11-25 tasks "Associating Task-Related Messages").
        return {
          ...result,
          _meta: { ...result._meta, [RELATED_TASK_META_KEY]: { taskId } },
        };
      }
      if (task.status === 'cancelled')
        throw new McpError(ErrorCode.InvalidParams, `Task ${taskId} was cancelled`);
      const error = task.error ?? { code: ErrorCode.InternalError, message: 'the task failed' };
      throw new McpError(error.code, error.message);
    });
  }
}

/** The 2025-11-25 `Task`: `ttl` and `pollInterval` in ms, ISO timestamps. */
function legacyTask(t: TaskRecord): Task {
  return {
    taskId: t.id,
    status: t.status,
    // A failed task says why here: the 2025-11-25 Task has no error field.
    ...((t.statusMessage ?? t.error?.message)
      ? { statusMessage: t.statusMessage ?? t.error?.message }
      : {}),
    createdAt: new Date(t.createdAt).toISOString(),
    lastUpdatedAt: new Date(t.updatedAt).toISOString(),
    ttl: t.ttlMs,
    pollInterval: t.pollIntervalMs,
  };
}
