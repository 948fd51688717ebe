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
  withClient<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
