/**
 * The one typed event map (docs/style.md §5): event type → payload, snake_case as on the wire
 * (docs/backend-contract.md "Events"). Every module emits through EventBusService.emit, which only
 * accepts matching pairs.
 */
export type ServerStatus =
  | 'provisioning'
  | 'command_received'
  | 'connecting'
  | 'discovering_tools'
  | 'syncing_tools'
  | 'online'
  | 'restarting'
  | 'offline'
  | 'error'
  | 'requires_reauth'
  | 'permanently_failed';

export interface ToolSummary {
  tool_name: string;
  description: string;
  input_schema: unknown;
  token_count: number;
}

/** One difference between a tool and its pinned definition. */
export interface ToolChangeEntry {
  tool: string;
  kind: 'changed' | 'added' | 'removed';
  pinned_hash?: string;
  current_hash?: string;
  /** Changed tools: which of description, input_schema, output_schema, annotations differ. */
  fields?: readonly string[];
  since: string;
}

export interface RequestLogEntry {
  user_id?: string;
  tool_name: string;
  tool_params: unknown;
  tool_response?: unknown;
  response_time_ms: number;
  success: boolean;
  error_message?: string;
  timestamp: string;
}

export interface ServerLogEntry {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  timestamp: string;
}

export interface SatelliteEventMap {
  'mcp.server.status_changed': {
    installation_id: string;
    team_id: string;
    user_id?: string;
    status: ServerStatus;
    status_message?: string;
    timestamp: string;
  };
  'mcp.server.started': {
    server_id: string;
    server_slug: string;
    team_id: string;
    user_id?: string;
    process_id: number;
    transport: 'stdio' | 'http' | 'sse';
    tool_count: number;
    spawn_duration_ms: number;
  };
  'mcp.server.crashed': {
    server_id: string;
    server_slug: string;
    team_id: string;
    process_id: number;
    exit_code: number | null;
    signal: string | null;
    uptime_seconds: number;
    crash_count: number;
    will_restart: boolean;
  };
  'mcp.server.restarted': {
    server_id: string;
    server_slug: string;
    team_id: string;
    process_id: number;
    restart_count: number;
  };
  'mcp.server.dormant': {
    server_id: string;
    server_slug: string;
    team_id: string;
    idle_seconds: number;
  };
  'mcp.server.respawned': {
    server_id: string;
    server_slug: string;
    team_id: string;
    process_id: number;
    respawn_duration_ms: number;
  };
  'mcp.server.stopped': { server_id: string; server_slug: string; team_id: string; reason: string };
  'mcp.server.permanently_failed': {
    server_id: string;
    server_slug: string;
    team_id: string;
    crash_count: number;
    last_error: string;
  };
  'mcp.server.logs': {
    installation_id: string;
    team_id: string;
    user_id?: string;
    logs: ServerLogEntry[];
  };
  'mcp.request.logs': {
    installation_id: string;
    team_id: string;
    requests: RequestLogEntry[];
  };
  'mcp.tools.discovered': {
    installation_id: string;
    installation_name: string;
    team_id: string;
    server_slug: string;
    tool_count: number;
    total_tokens: number;
    tools: ToolSummary[];
    discovered_at: string;
  };
  'mcp.tools.collision': {
    tool_path: string;
    kept_server: string;
    dropped_server: string;
    team_id: string;
  };
  /** A server's tools differ from their pins (docs/operations.md "Pinned tool definitions"). */
  'mcp.tools.changed': {
    installation_id: string;
    team_id: string;
    server_slug: string;
    policy: 'warn' | 'hold';
    pinned_set_hash: string;
    current_set_hash: string;
    changes: ToolChangeEntry[];
    /** Tools kept out of discover and execute (under `hold`: the changed and added ones). */
    held_tools: string[];
    detected_at: string;
  };
  'mcp.client.connected': { session_id: string; client_name?: string; client_version?: string };
  'mcp.client.disconnected': { session_id: string; reason: string };
  'config.refreshed': {
    source: string;
    added: number;
    removed: number;
    modified: number;
    unchanged: number;
  };
  'config.error': { source: string; problems: string[] };
  'resource.limit.exceeded': {
    server_id: string;
    server_slug: string;
    team_id: string;
    limit: 'memory' | 'cpu' | 'pids' | 'cpu_time' | 'stdout_line';
    detail: string;
  };
}

export type SatelliteEventType = keyof SatelliteEventMap;

export interface SatelliteEvent<K extends SatelliteEventType = SatelliteEventType> {
  type: K;
  timestamp: string;
  data: SatelliteEventMap[K];
}
