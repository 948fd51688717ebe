import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ServerDefinition } from '../config/server-definition.js';

/**
 * One long-lived connection to an upstream MCP server, reused by every call (the SDK multiplexes
 * requests by id). Two implementations: HTTP/SSE (owned here) and stdio (a supervised process).
 */
export interface UpstreamConnection {
  readonly def: ServerDefinition;
  /** Connects and completes the MCP handshake; `signal` stops the attempt (HTTP/SSE). */
  connect(signal?: AbortSignal): Promise<void>;
  /** Runs `fn` with a connected client, reconnecting first when needed. */
  withClient<T>(fn: (client: Client) => Promise<T>, opts?: CallOptions): Promise<T>;
  close(): Promise<void>;
}

/** What a call tells an instance pool (instance-pool.ts); stdio servers ignore it. */
export interface CallOptions {
  /** The downstream session: its calls stay on one instance while that instance is in rotation. */
  readonly affinity?: string;
  /**
   * The call may be sent to another instance even when it may have reached the first: a tool
   * annotated `readOnlyHint` or `idempotentHint`, or a read-only protocol method.
   */
  readonly retryable?: boolean;
  /** The caller's signal: a cancelled call never counts against an instance. */
  readonly signal?: AbortSignal;
}
