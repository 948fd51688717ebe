/** One finished tool call, as the router hands it to UsageService.record (tool-call-audit.service.ts). */
export interface UsageCall {
  /** The server's installation id (managed mode) or its id in the server file. */
  readonly serverId: string;
  readonly server: string;
  readonly team: string;
  /** The tool's own name (`tools/call` upstream). */
  readonly tool: string;
  /** `clientInfo.name` of the MCP session that called. */
  readonly client?: string;
  readonly outcome: 'ok' | 'error' | 'cancelled';
  readonly error?: string;
  readonly startedAt: number;
  readonly durationMs: number;
  /** The `CallToolResult` returned to the client (absent when none was: cancelled, JSON-RPC error). */
  readonly result?: unknown;
  /** Who called (managed mode's `mcp.client.activity`). */
  readonly userId?: string;
  readonly oauthClientId?: string;
  readonly sessionId?: string;
  /** W3C traceparent of the request, when it carried one (the row's exemplar, docs/usage.md). */
  readonly traceparent?: string;
}

/** What `GET /api/usage` answers (docs/usage.md "The answer"). */
export interface UsageReport {
  readonly since: string;
  readonly until: string;
  readonly tools: Array<{
    tool_path: string;
    server: string;
    calls: number;
    errors: number;
    p50_ms: number;
    p95_ms: number;
    bytes_returned: number;
    tokens_returned: number;
  }>;
  readonly servers: Array<{
    server: string;
    calls: number;
    errors: number;
    p50_ms: number;
    p95_ms: number;
  }>;
  readonly teams: Array<{ team: string; calls: number; errors: number }>;
  readonly clients: Array<{ client: string; calls: number; errors: number }>;
  readonly tokens_saved: { sessions: number; tokens: number };
}

export interface UsageFilter {
  /** Start of the period (ms since the epoch); rounded down to the hour. */
  readonly since: number;
  readonly server?: string;
  readonly team?: string;
  /** Only these teams (the caller's); undefined = all. */
  readonly teams?: readonly string[];
}
