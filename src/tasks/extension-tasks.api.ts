import { Injectable, Logger } from '@nestjs/common';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { TaskWork, TasksApi } from './task-api.js';
import { TasksService } from './tasks.service.js';
import type { TaskRecord } from './task.store.js';
import { TaskEndedError, TaskLimitError, TaskNotFoundError } from './tasks.errors.js';

const TaskIdParams = z.object({ taskId: z.string().min(1) });
const UpdateParams = TaskIdParams.extend({ inputResponses: z.record(z.string(), z.unknown()) });

/**
 * The Tasks extension `io.modelcontextprotocol/tasks` of 2026-07-28 (SEP-2663; docs/tasks.md
 * "2026-07-28") on the engine: the wire shapes of its schema (`@modelcontextprotocol/ext-tasks`
 * `core/v2`, which the spec checks them against). h-era's new-era dispatcher calls it.
 */
@Injectable()
export class ExtensionTasksApi implements TasksApi {
  private readonly logger = new Logger(ExtensionTasksApi.name);

  constructor(private readonly tasks: TasksService) {}

  startExtensionTask(
    owner: string,
    work: TaskWork,
    requestedTtlMs?: number,
  ): Promise<Record<string, unknown>> {
    return wire(() => ({
      ...taskShape(this.tasks.start(owner, work, requestedTtlMs)),
      resultType: 'task',
    }));
  }

  handleExtensionRequest(
    owner: string,
    method: string,
    params: unknown,
  ): Promise<Record<string, unknown>> {
    return wire(() => {
      switch (method) {
        case 'tasks/get':
          return {
            ...detailed(this.tasks.get(owner, parse(TaskIdParams, params, method).taskId)),
            resultType: 'complete',
          };
        case 'tasks/update': {
          // None of our tasks asks for input (it never turns input_required), so no response is
          // outstanding: they are ignored, and the request acknowledged (SEP-2663 "tasks/update").
          const { taskId } = parse(UpdateParams, params, method);
          this.tasks.get(owner, taskId);
          this.logger.debug(`tasks/update of ${taskId}: no input outstanding, responses ignored`);
          return { resultType: 'complete' };
        }
        case 'tasks/cancel': {
          const { taskId } = parse(TaskIdParams, params, method);
          try {
            this.tasks.cancel(owner, taskId);
          } catch (err) {
            // Cancelling a task that has ended is acknowledged and changes nothing.
            if (!(err instanceof TaskEndedError)) throw err;
          }
          return { resultType: 'complete' };
        }
        default:
          throw new McpError(ErrorCode.MethodNotFound, `Method not found: ${method}`);
      }
    });
  }
}

/** The Task fields common to every answer (ISO timestamps, TTL and poll hint in ms). */
export function taskShape(t: TaskRecord): Record<string, unknown> {
  return {
    taskId: t.id,
    status: t.status,
    ...(t.statusMessage ? { statusMessage: t.statusMessage } : {}),
    createdAt: new Date(t.createdAt).toISOString(),
    lastUpdatedAt: new Date(t.updatedAt).toISOString(),
    ttlMs: t.ttlMs,
    pollIntervalMs: t.pollIntervalMs,
  };
}

/** A `DetailedTask`: a completed task carries its result, a failed one its error. */
function detailed(t: TaskRecord): Record<string, unknown> {
  const base = taskShape(t);
  if (t.status === 'completed') return { ...base, result: JSON.parse(t.result ?? '{}') as unknown };
  if (t.status === 'failed')
    return { ...base, error: t.error ?? { code: ErrorCode.InternalError, message: 'failed' } };
  return base;
}

function parse<T>(schema: z.ZodType<T>, params: unknown, method: string): T {
  const parsed = schema.safeParse(params);
  if (!parsed.success)
    throw new McpError(ErrorCode.InvalidParams, `${method}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Domain errors to JSON-RPC errors (docs/style.md §7). */
export function wire<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(toMcpError(err));
  }
}

export function toMcpError(err: unknown): Error {
  if (err instanceof TaskNotFoundError || err instanceof TaskEndedError)
    return new McpError(ErrorCode.InvalidParams, err.message);
  if (err instanceof TaskLimitError) return new McpError(ErrorCode.InvalidRequest, err.message);
  return err instanceof Error ? err : new Error(String(err));
}
