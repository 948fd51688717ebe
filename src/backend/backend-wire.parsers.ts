import { BackendUnavailableError } from './backend.errors.js';
import type {
  BackendCommand,
  CommandPollResponse,
  CommandPriority,
  EventsResponse,
  IntrospectionResponse,
  PollingMode,
  RegisteredSatellite,
  SatelliteConfigResponse,
  UpstreamToken,
} from './backend-wire.types.js';

/**
 * Answers from the backend are checked before use: a malformed answer is treated like an
 * unreachable backend (retry later), never trusted half-way. Unknown extra fields are ignored.
 */
type Json = Record<string, unknown>;

export const isRecord = (v: unknown): v is Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined =>
  typeof v === 'string' && v.length > 0 ? v : undefined;

function malformed(what: string): BackendUnavailableError {
  return new BackendUnavailableError(`malformed answer from the backend: ${what}`);
}

const PRIORITIES: readonly CommandPriority[] = ['immediate', 'high', 'normal', 'low'];
const MODES: readonly PollingMode[] = ['immediate', 'normal', 'slow'];

export function parseRegistered(body: unknown): RegisteredSatellite {
  const sat = isRecord(body) ? body.satellite : undefined;
  if (!isRecord(body) || body.success !== true || !isRecord(sat))
    throw malformed('registration answer without `satellite`');
  const id = str(sat.id);
  const apiKey = str(sat.api_key);
  if (!id || !apiKey)
    throw malformed('registration answer without `satellite.id` / `satellite.api_key`');
  return {
    id,
    name: str(sat.name) ?? '',
    satellite_type: sat.satellite_type === 'team' ? 'team' : 'global',
    team_id: str(sat.team_id) ?? null,
    status: str(sat.status) ?? 'inactive',
    api_key: apiKey,
  };
}

/** Commands without an id or type cannot be run nor answered: they are left out and counted. */
export function parseCommandPoll(body: unknown): {
  response: CommandPollResponse;
  skipped: number;
} {
  if (!isRecord(body) || !Array.isArray(body.commands))
    throw malformed('command poll answer without `commands`');
  const commands: BackendCommand[] = [];
  let skipped = 0;
  for (const raw of body.commands) {
    const id = isRecord(raw) ? str(raw.id) : undefined;
    const type = isRecord(raw) ? str(raw.command_type) : undefined;
    if (!isRecord(raw) || !id || !type) {
      skipped++;
      continue;
    }
    const priority = PRIORITIES.find((p) => p === raw.priority) ?? 'normal';
    commands.push({
      id,
      command_type: type,
      priority,
      payload: isRecord(raw.payload) ? raw.payload : {},
      ...(str(raw.correlation_id) ? { correlation_id: str(raw.correlation_id) } : {}),
      ...(str(raw.expires_at) ? { expires_at: str(raw.expires_at) } : {}),
    });
  }
  const mode = MODES.find((m) => m === body.polling_mode);
  const interval = body.next_poll_interval;
  return {
    response: {
      commands,
      ...(mode ? { polling_mode: mode } : {}),
      ...(typeof interval === 'number' && Number.isFinite(interval)
        ? { next_poll_interval: interval }
        : {}),
    },
    skipped,
  };
}

export function parseConfig(body: unknown): SatelliteConfigResponse {
  if (!isRecord(body) || !isRecord(body.mcp_servers))
    throw malformed('configuration without `mcp_servers`');
  return {
    mcp_servers: body.mcp_servers,
    satellite_config: isRecord(body.satellite_config) ? body.satellite_config : {},
  };
}

export function parseEventsResponse(body: unknown): EventsResponse {
  if (!isRecord(body)) throw malformed('events answer is not an object');
  const failures = Array.isArray(body.failures)
    ? body.failures.filter(isRecord).map((f) => ({
        index: typeof f.index === 'number' ? f.index : -1,
        type: str(f.type) ?? 'unknown',
        error: str(f.error) ?? 'no reason given',
      }))
    : [];
  return {
    success: body.success === true,
    processed: typeof body.processed === 'number' ? body.processed : 0,
    failed: typeof body.failed === 'number' ? body.failed : failures.length,
    event_ids: Array.isArray(body.event_ids)
      ? body.event_ids.filter((x): x is string => typeof x === 'string')
      : [],
    failures,
  };
}

export function parseIntrospection(body: unknown): IntrospectionResponse {
  if (!isRecord(body) || typeof body.active !== 'boolean')
    throw malformed('introspection answer without `active`');
  if (!body.active) return { active: false };
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
  const aud = body.aud;
  return {
    active: true,
    scope: typeof body.scope === 'string' ? body.scope : '',
    client_id: str(body.client_id),
    username: str(body.username),
    sub: str(body.sub),
    aud: typeof aud === 'string' || Array.isArray(aud) ? (aud as string | string[]) : undefined,
    iss: str(body.iss),
    exp: num(body.exp),
    iat: num(body.iat),
    team_id: str(body.team_id),
    team_name: str(body.team_name),
    team_role: str(body.team_role),
    team_permissions: Array.isArray(body.team_permissions)
      ? body.team_permissions.filter((x): x is string => typeof x === 'string')
      : undefined,
  };
}

export function parseUpstreamToken(body: unknown): UpstreamToken {
  const token = isRecord(body) ? str(body.access_token) : undefined;
  if (!isRecord(body) || !token) throw malformed('token answer without `access_token`');
  return {
    access_token: token,
    token_type: str(body.token_type) ?? 'Bearer',
    ...(str(body.refresh_token) ? { refresh_token: str(body.refresh_token) } : {}),
    ...(str(body.expires_at) ? { expires_at: str(body.expires_at) } : {}),
    ...(str(body.scope) ? { scope: str(body.scope) } : {}),
  };
}
