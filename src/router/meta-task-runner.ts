import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import type { CallToolResult, CreateTaskResult } from '@modelcontextprotocol/sdk/types.js';
import type { TraceContext } from './trace-context.js';

/** A call to run as a task: what it is, and how to run it detached from its request. */
export interface MetaTaskWork {
  readonly label: string;
  readonly origin: string;
  readonly trace?: TraceContext;
  run(signal: AbortSignal): Promise<CallToolResult>;
}

/**
 * What `/mcp`'s meta-tool server needs for 2025-11-25 task-augmented calls of
 * `execute_mcp_tool` (docs/tasks.md "2025-11-25"). The tasks module implements it for one owner
 * and the mcp module hands it to `MetaToolServerFactory.create`: the router may not import the
 * tasks module (docs/architecture.md "Dependencies"), as discovery's `ServerControl` keeps
 * backend → discovery one way.
 */
export interface MetaTaskRunner {
  /** Declares the tasks capability on `server` and answers tasks/get, result, list and cancel. */
  install(server: Server): void;
  /** Starts `work` detached and answers the CreateTaskResult; `ttl` is what the client asked. */
  start(work: MetaTaskWork, ttl: number | null | undefined): Promise<CreateTaskResult>;
}
