import { z } from 'zod';

/**
 * The one typed event map (docs/style.md §5): event type → payload, snake_case as on the wire
 * (docs/backend-contract.md "Events"). Every module emits through EventBusService.emit, which only
 * accepts matching pairs. The payload types are inferred from these schemas; the fake backend
 * checks what it receives against the same schemas, strictly (src/config/zod-schema.ts).
 */

const isoTime = () => z.iso.datetime({ offset: true });
const count = () => z.int().min(0);
const duration = () => z.number().min(0);
/** Any JSON value, but present. */
const present = () => z.unknown().refine((v): boolean => v !== undefined, { error: 'missing' });

export const serverStatusSchema = z.enum([
  'provisioning',
  'command_received',
  'connecting',
  'discovering_tools',
  'syncing_tools',
  'online',
  'restarting',
  'offline',
  'error',
  'requires_reauth',
  'permanently_failed',
]);

export const toolSummarySchema = z.object({
  tool_name: z.string(),
  description: z.string(),
  input_schema: present(),
  token_count: count(),
});

/** One difference between a tool and its pinned definition. */
export const toolChangeEntrySchema = z.object({
  tool: z.string(),
  kind: z.enum(['changed', 'added', 'removed']),
  pinned_hash: z.string().optional(),
  current_hash: z.string().optional(),
  /** Changed tools: which of description, input_schema, output_schema, annotations differ. */
  fields: z.array(z.string()).readonly().optional(),
  since: isoTime(),
});

export const requestLogEntrySchema = z.object({
  user_id: z.string().optional(),
  tool_name: z.string(),
  tool_params: present(),
  tool_response: z.unknown().optional(),
  response_time_ms: duration(),
  success: z.boolean(),
  error_message: z.string().optional(),
  timestamp: isoTime(),
});

export const serverLogEntrySchema = z.object({
  level: z.enum(['debug', 'info', 'warn', 'error']),
  message: z.string(),
  timestamp: isoTime(),
});

/** The servers' own identity, repeated by most lifecycle events. */
const server = { server_id: z.string(), server_slug: z.string(), team_id: z.string() };

export const EVENT_PAYLOAD_SCHEMAS = {
  'mcp.server.status_changed': z.object({
    installation_id: z.string(),
    team_id: z.string(),
    user_id: z.string().optional(),
    status: serverStatusSchema,
    status_message: z.string().optional(),
    timestamp: isoTime(),
  }),
  'mcp.server.started': z.object({
    ...server,
    user_id: z.string().optional(),
    process_id: z.int(),
    transport: z.enum(['stdio', 'http', 'sse']),
    tool_count: count(),
    spawn_duration_ms: duration(),
  }),
  'mcp.server.crashed': z.object({
    ...server,
    process_id: z.int(),
    exit_code: z.int().nullable(),
    signal: z.string().nullable(),
    uptime_seconds: duration(),
    crash_count: count(),
    will_restart: z.boolean(),
  }),
  'mcp.server.restarted': z.object({ ...server, process_id: z.int(), restart_count: count() }),
  'mcp.server.dormant': z.object({ ...server, idle_seconds: duration() }),
  'mcp.server.respawned': z.object({
    ...server,
    process_id: z.int(),
    respawn_duration_ms: duration(),
  }),
  'mcp.server.stopped': z.object({ ...server, reason: z.string() }),
  'mcp.server.permanently_failed': z.object({
    ...server,
    crash_count: count(),
    last_error: z.string(),
  }),
  'mcp.server.logs': z.object({
    installation_id: z.string(),
    team_id: z.string(),
    user_id: z.string().optional(),
    logs: z.array(serverLogEntrySchema),
  }),
  'mcp.request.logs': z.object({
    installation_id: z.string(),
    team_id: z.string(),
    requests: z.array(requestLogEntrySchema),
  }),
  'mcp.tools.discovered': z.object({
    installation_id: z.string(),
    installation_name: z.string(),
    team_id: z.string(),
    server_slug: z.string(),
    tool_count: count(),
    total_tokens: count(),
    tools: z.array(toolSummarySchema),
    discovered_at: isoTime(),
  }),
  /** One tool call (docs/backend-contract.md "Key payloads"); `tool_name` is the tool path. */
  'mcp.tool.executed': z.object({
    tool_name: z.string(),
    server_id: z.string(),
    team_id: z.string(),
    duration_ms: duration(),
    success: z.boolean(),
    error_message: z.string().optional(),
  }),
  /** Tool calls of one user, team and OAuth client since the last report (every 30 s). */
  'mcp.client.activity': z.object({
    user_id: z.string(),
    team_id: z.string(),
    oauth_client_id: z.string(),
    client_name: z.string().optional(),
    session_id: z.string().optional(),
    request_count: count(),
    tool_call_count: count(),
    last_activity_at: isoTime(),
  }),
  'mcp.tools.collision': z.object({
    tool_path: z.string(),
    kept_server: z.string(),
    dropped_server: z.string(),
    team_id: z.string(),
  }),
  /** A server's tools differ from their pins (docs/operations.md "Pinned tool definitions"). */
  'mcp.tools.changed': z.object({
    installation_id: z.string(),
    team_id: z.string(),
    server_slug: z.string(),
    policy: z.enum(['warn', 'hold']),
    pinned_set_hash: z.string(),
    current_set_hash: z.string(),
    changes: z.array(toolChangeEntrySchema),
    /** Tools kept out of discover and execute (under `hold`: the changed and added ones). */
    held_tools: z.array(z.string()),
    detected_at: isoTime(),
  }),
  'mcp.client.connected': z.object({
    session_id: z.string(),
    client_name: z.string().optional(),
    client_version: z.string().optional(),
  }),
  'mcp.client.disconnected': z.object({ session_id: z.string(), reason: z.string() }),
  'config.refreshed': z.object({
    source: z.string(),
    added: count(),
    removed: count(),
    modified: count(),
    unchanged: count(),
  }),
  'config.error': z.object({ source: z.string(), problems: z.array(z.string()) }),
  'resource.limit.exceeded': z.object({
    ...server,
    limit: z.enum(['memory', 'cpu', 'pids', 'cpu_time', 'stdout_line']),
    detail: z.string(),
  }),
} as const;

export type ServerStatus = z.infer<typeof serverStatusSchema>;
export type ToolSummary = z.infer<typeof toolSummarySchema>;
export type RequestLogEntry = z.infer<typeof requestLogEntrySchema>;
export type ServerLogEntry = z.infer<typeof serverLogEntrySchema>;
export type ToolChangeEntry = z.infer<typeof toolChangeEntrySchema>;

export type SatelliteEventMap = {
  [K in keyof typeof EVENT_PAYLOAD_SCHEMAS]: z.infer<(typeof EVENT_PAYLOAD_SCHEMAS)[K]>;
};

export type SatelliteEventType = keyof SatelliteEventMap;

export interface SatelliteEvent<K extends SatelliteEventType = SatelliteEventType> {
  type: K;
  timestamp: string;
  data: SatelliteEventMap[K];
}
