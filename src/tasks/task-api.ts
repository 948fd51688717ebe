// What the protocol layer (src/mcp) asks of the tasks module: the seam between the two halves of
// issue 17, written before either side (docs/tasks.md describes the module).
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

/** Nest injection token of the {@link TasksApi} provider (TasksModule exports it). */
export const TASKS_API = Symbol('TASKS_API');

/** W3C trace context of one request, from its `_meta` or its `traceparent` header. */
export interface TraceContext {
  traceparent: string;
  tracestate?: string;
  baggage?: string;
}

/** One tool call to run as a task. */
export interface TaskWork {
  /** What the task runs, for the debug route and logs: `<server>/<tool>`. */
  label: string;
  /** The server slug of the call, or `meta` for execute_mcp_tool. */
  origin: string;
  trace?: TraceContext;
  /** Runs the call; the signal aborts when the task is cancelled or expires. */
  run(signal: AbortSignal): Promise<CallToolResult>;
}

export interface TasksApi {
  /**
   * Starts `work` detached from the request and answers the Tasks extension's (2026-07-28)
   * `CreateTaskResult` object for the tools/call that asked for it. `owner` is the principal's
   * owner key (ClientAccess.owner): only the same owner can see or cancel the task.
   */
  startExtensionTask(
    owner: string,
    work: TaskWork,
    requestedTtlMs?: number,
  ): Promise<Record<string, unknown>>;
  /**
   * Answers `tasks/get`, `tasks/update` or `tasks/cancel` of `io.modelcontextprotocol/tasks`
   * (2026-07-28): the result object, or throws an McpError (unknown task: invalid params).
   */
  handleExtensionRequest(
    owner: string,
    method: string,
    params: unknown,
  ): Promise<Record<string, unknown>>;
}
