import {
  any,
  arr,
  bool,
  int,
  num,
  nullable,
  obj,
  record,
  type Schema,
  str,
} from './strict-schema.js';

/** The request bodies of docs/backend-contract.md, field by field. */

export const REGISTER_BODY = obj({
  name: str({ pattern: /^[a-z0-9_-]{10,32}$/ }),
  capabilities: arr(str({ oneOf: ['stdio', 'http', 'sse'] }), { min: 1 }),
  system_info: obj({ os: str(), arch: str(), node_version: str(), memory_mb: int({ min: 1 }) }),
});

export const HEARTBEAT_BODY = obj(
  {
    status: str({ oneOf: ['active', 'degraded', 'error'] }),
    system_metrics: obj(
      { cpu_usage_percent: num({ min: 0, max: 100 }), memory_usage_mb: num({ min: 0 }) },
      { disk_usage_percent: num({ min: 0, max: 100 }), uptime_seconds: num({ min: 0 }) },
    ),
    processes: arr(
      obj({
        id: str(),
        server_name: str(),
        status: str({ oneOf: ['pending', 'starting', 'running', 'stopping', 'stopped', 'failed'] }),
        health_status: str({ oneOf: ['healthy', 'unhealthy', 'unknown'] }),
      }),
    ),
    error_count: int({ min: 0 }),
    version: str(),
  },
  { satellite_url: str({ pattern: /^https?:\/\/\S+$/ }) },
);

export const COMMANDS_QUERY = obj(
  { limit: str({ pattern: /^(100|[1-9][0-9]?)$/ }) },
  { last_poll: str({ iso: true }) },
);

export const COMMAND_RESULT_BODY = obj(
  { command_id: str(), status: str({ oneOf: ['completed', 'failed'] }) },
  { result: record(any), error_message: str() },
);

export const INTROSPECT_BODY = obj({ token: str() });

export const TOKENS_BODY = obj({ installation_id: str(), user_id: str(), team_id: str() });

export const EVENTS_BODY = obj({
  events: arr(obj({ type: str(), timestamp: str({ iso: true }), data: record(any) }), {
    min: 1,
    max: 100,
  }),
});

/** The event types today's backend stores; others are answered as per-event failures. */
export const STORED_EVENT_TYPES = new Set([
  'mcp.server.started',
  'mcp.server.crashed',
  'mcp.server.restarted',
  'mcp.server.dormant',
  'mcp.server.respawned',
  'mcp.server.status_changed',
  'mcp.server.logs',
  'mcp.request.logs',
  'mcp.tools.discovered',
  'mcp.tool.executed',
  'mcp.client.activity',
]);

const STATUSES = [
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
];

/**
 * docs/backend-contract.md "Key payloads": a misspelled field in one of these refuses the batch
 * (400).
 */
export const EVENT_PAYLOADS: Readonly<Record<string, Schema>> = {
  'mcp.server.status_changed': obj(
    {
      installation_id: str(),
      team_id: str(),
      status: str({ oneOf: STATUSES }),
      timestamp: str({ iso: true }),
    },
    { user_id: str(), status_message: str() },
  ),
  'mcp.server.started': obj(
    {
      server_id: str(),
      server_slug: str(),
      team_id: str(),
      process_id: int(),
      transport: str({ oneOf: ['stdio', 'http', 'sse'] }),
      tool_count: int({ min: 0 }),
      spawn_duration_ms: num({ min: 0 }),
    },
    { user_id: str() },
  ),
  'mcp.server.crashed': obj({
    server_id: str(),
    server_slug: str(),
    team_id: str(),
    process_id: int(),
    exit_code: nullable(int()),
    signal: nullable(str()),
    uptime_seconds: num({ min: 0 }),
    crash_count: int({ min: 0 }),
    will_restart: bool,
  }),
  'mcp.tools.discovered': obj({
    installation_id: str(),
    installation_name: str(),
    team_id: str(),
    server_slug: str(),
    tool_count: int({ min: 0 }),
    total_tokens: int({ min: 0 }),
    tools: arr(
      obj({
        tool_name: str(),
        description: str(),
        input_schema: any,
        token_count: int({ min: 0 }),
      }),
    ),
    discovered_at: str({ iso: true }),
  }),
  'mcp.request.logs': obj({
    installation_id: str(),
    team_id: str(),
    requests: arr(
      obj(
        {
          tool_name: str(),
          tool_params: any,
          response_time_ms: num({ min: 0 }),
          success: bool,
          timestamp: str({ iso: true }),
        },
        { user_id: str(), tool_response: any, error_message: str() },
      ),
    ),
  }),
  'mcp.tool.executed': obj(
    {
      tool_name: str(),
      server_id: str(),
      team_id: str(),
      duration_ms: num({ min: 0 }),
      success: bool,
    },
    { error_message: str() },
  ),
  'mcp.client.activity': obj(
    {
      user_id: str(),
      team_id: str(),
      oauth_client_id: str(),
      request_count: int({ min: 1 }),
      tool_call_count: int({ min: 0 }),
      last_activity_at: str({ iso: true }),
    },
    { client_name: str(), user_agent: str(), ip_address: str(), session_id: str() },
  ),
  'mcp.server.logs': obj(
    {
      installation_id: str(),
      team_id: str(),
      logs: arr(
        obj({
          level: str({ oneOf: ['debug', 'info', 'warn', 'error'] }),
          message: str(),
          timestamp: str({ iso: true }),
        }),
      ),
    },
    { user_id: str() },
  ),
};
