import { bareMessage } from './relayed-error.js';
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import type { CatalogEntry } from '../discovery/catalog-entry.js';
import {
  CircuitOpenError,
  ServerBusyError,
  UpstreamUnavailableError,
} from '../discovery/discovery.errors.js';
import type { ServerState } from '../discovery/server-state.js';

/**
 * Why a tool call did not produce a result: `execute_mcp_tool` answers it as an `isError` result
 * (its message), the REST edge as a problem with a status (src/rest/tool-problems.ts).
 */
export type ToolCallFailureKind =
  'unknown_tool' | 'unavailable' | 'timeout' | 'connection_closed' | 'upstream_error' | 'failed';

export class ToolCallFailure extends Error {
  constructor(
    readonly kind: ToolCallFailureKind,
    message: string,
    readonly details: {
      readonly toolPath: string;
      readonly server?: string;
      /** unknown_tool: the closest paths the caller may use. */
      readonly suggestions?: readonly string[];
      /** unavailable: the server's visible state, when known. */
      readonly state?: ServerState;
      /** unavailable (a stdio server): ProcessUnavailableError's reason. */
      readonly reason?: string;
      readonly timeoutMs?: number;
      /** upstream_error: the JSON-RPC error code the upstream answered with. */
      readonly upstreamCode?: number;
    },
  ) {
    super(message);
    this.name = 'ToolCallFailure';
  }
}

export function unknownToolFailure(toolPath: string, suggestions: string[]): ToolCallFailure {
  return new ToolCallFailure(
    'unknown_tool',
    `Unknown tool path "${toolPath}".` +
      (suggestions.length ? ` Closest matches: ${suggestions.join(', ')}.` : '') +
      ' Use discover_mcp_tools to find the right tool_path.',
    { toolPath, suggestions },
  );
}

/**
 * A tool kept out under `"toolPinning": "hold"` (docs/operations.md, "Pinned tool definitions"):
 * its definition changed (or it appeared) since the server's tools were pinned.
 */
export function heldToolFailure(toolPath: string, server: string, tool: string): ToolCallFailure {
  return new ToolCallFailure('unavailable', heldToolMessage(server, tool), {
    toolPath,
    server,
    reason: 'held',
  });
}

export function heldToolMessage(server: string, tool: string): string {
  return (
    `Tool "${tool}" of server "${server}" is held: its definition changed since it was pinned ` +
    `(toolPinning "hold"), so it is not served until an operator approves the change ` +
    `("approvedToolsHash" in the server file, or the approve_tool_changes command).`
  );
}

/** What went wrong in the upstream call, worded for an agent (docs/protocol.md "`execute_mcp_tool`"). */
export function upstreamFailure(
  entry: CatalogEntry,
  err: unknown,
  timeout: number,
): ToolCallFailure {
  const server = entry.serverSlug;
  const base = { toolPath: entry.path, server };
  if (err instanceof ServerBusyError) {
    return new ToolCallFailure(
      'unavailable',
      `Server "${server}" is busy: ${err.limit} calls are running and ${err.queue} waiting, its limit. The call was not sent. Try again in a few seconds.`,
      { ...base, reason: 'busy' },
    );
  }
  if (err instanceof CircuitOpenError) {
    return new ToolCallFailure(
      'unavailable',
      `Server "${server}" is failing: its circuit breaker is open (${err.detail}). The call was not sent. Try again later, or use discover_mcp_tools to find another tool.`,
      { ...base, reason: 'circuit_open' },
    );
  }
  if (err instanceof UpstreamUnavailableError) {
    return new ToolCallFailure(
      'unavailable',
      `Server "${server}" is unavailable: ${err.message}. Try again later, or use discover_mcp_tools to find another tool.`,
      { ...base, ...(err.state ? { state: err.state } : {}) },
    );
  }
  if (err instanceof Error && err.name === 'ProcessUnavailableError') {
    const reason = (err as Error & { reason?: string }).reason;
    return new ToolCallFailure(
      'unavailable',
      `Server "${server}" is unavailable: ${err.message}. Try again later, or use discover_mcp_tools to find another tool.`,
      { ...base, ...(reason ? { reason } : {}) },
    );
  }
  if (err instanceof McpError) {
    if (err.code === (ErrorCode.RequestTimeout as number)) {
      return new ToolCallFailure(
        'timeout',
        `Tool ${entry.path} timed out after ${timeout} ms on server "${server}". Try again, or with a smaller request.`,
        { ...base, timeoutMs: timeout },
      );
    }
    if (err.code === (ErrorCode.ConnectionClosed as number)) {
      return new ToolCallFailure(
        'connection_closed',
        `Server "${server}" closed the connection during the call (it may have crashed). Try again in a few seconds.`,
        base,
      );
    }
    return new ToolCallFailure(
      'upstream_error',
      `Server "${server}" answered with an error (${err.code}): ${bareMessage(err)}. If the arguments were at fault, check them against the tool's input_schema.`,
      { ...base, upstreamCode: err.code },
    );
  }
  return new ToolCallFailure(
    'failed',
    `Calling ${entry.path} on server "${server}" failed: ${(err as Error).message ?? String(err)}. Try again later.`,
    base,
  );
}
