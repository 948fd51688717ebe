/**
 * The backend's satellite API on the wire (docs/backend-contract.md), snake_case as sent. The
 * backend silently drops unknown fields, so these names are the contract: the fake backend in
 * test/fake-backend rejects anything else.
 */

export interface RegisterRequest {
  name: string;
  capabilities: Array<'stdio' | 'http' | 'sse'>;
  system_info: { os: string; arch: string; node_version: string; memory_mb: number };
}

export interface RegisteredSatellite {
  id: string;
  name: string;
  satellite_type: 'global' | 'team';
  team_id: string | null;
  status: string;
  api_key: string;
}

export interface SystemMetrics {
  cpu_usage_percent: number;
  memory_usage_mb: number;
  disk_usage_percent: number;
  uptime_seconds: number;
}

export interface HeartbeatRequest {
  status: 'active' | 'degraded' | 'error';
  system_metrics: SystemMetrics;
  processes: Array<{ id: string; server_name: string; status: string; health_status: string }>;
  error_count: number;
  version: string;
  satellite_url?: string;
}

export type CommandPriority = 'immediate' | 'high' | 'normal' | 'low';
export type PollingMode = 'immediate' | 'normal' | 'slow';

export interface BackendCommand {
  id: string;
  command_type: string;
  priority: CommandPriority;
  payload: Record<string, unknown>;
  correlation_id?: string;
  /** Not sent by today's backend; honoured when present. */
  expires_at?: string;
}

export interface CommandPollResponse {
  commands: BackendCommand[];
  polling_mode?: PollingMode;
  /** Seconds. */
  next_poll_interval?: number;
}

export type CommandResultRequest =
  | { command_id: string; status: 'completed'; result: Record<string, unknown> }
  | {
      command_id: string;
      status: 'failed';
      error_message: string;
      result?: Record<string, unknown>;
    };

export interface SatelliteConfigResponse {
  /** Keyed by the opaque installation name. */
  mcp_servers: Record<string, unknown>;
  satellite_config: Record<string, unknown>;
}

export interface EventsRequest {
  events: Array<{ type: string; timestamp: string; data: unknown }>;
}

export interface EventsResponse {
  success: boolean;
  processed: number;
  failed: number;
  event_ids: string[];
  failures?: Array<{ index: number; type: string; error: string }>;
}

export interface IntrospectionResponse {
  active: boolean;
  scope?: string;
  client_id?: string;
  username?: string;
  sub?: string;
  aud?: string | string[];
  iss?: string;
  /** Seconds since the epoch. */
  exp?: number;
  iat?: number;
  team_id?: string;
  team_name?: string;
  team_role?: string;
  team_permissions?: string[];
}

export interface UpstreamTokenRequest {
  installation_id: string;
  user_id: string;
  team_id: string;
}

export interface UpstreamToken {
  access_token: string;
  refresh_token?: string;
  token_type: string;
  expires_at?: string;
  scope?: string;
}
