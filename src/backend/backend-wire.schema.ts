import { z } from 'zod';
import { SLUG_PATTERN } from '../config/mcp-server-file.js';
import { networkSettingSchema } from '../config/network-setting.js';
import { isHttpUrl, maybe, skipInvalid, text } from '../config/zod-schema.js';

/**
 * The backend's satellite API on the wire (docs/backend-contract.md), defined once: every body the
 * satellite sends or receives, snake_case as sent. The types below are inferred from these
 * schemas. The satellite reads answers leniently (unknown fields ignored, `.catch()` where a bad
 * value is recovered, see `parseAnswer` in backend-api.client.ts); the fake backend in
 * test/fake-backend checks the same schemas strictly (`strictSchema`, src/config/zod-schema.ts),
 * so a drifted field name fails a test instead of vanishing in the real backend.
 */

const isoTime = () => z.iso.datetime({ offset: true });
const jsonObject = () => z.record(z.string(), z.unknown());

// --- Identity ----------------------------------------------------------------------------------

export const registerRequestSchema = z.object({
  name: z.string().regex(/^[a-z0-9_-]{10,32}$/),
  capabilities: z.array(z.enum(['stdio', 'http', 'sse'])).min(1),
  system_info: z.object({
    os: z.string(),
    arch: z.string(),
    node_version: z.string(),
    memory_mb: z.int().min(1),
  }),
});

/** `id` and `api_key` are required; the rest is defaulted. */
export const registerResponseSchema = z.object({
  success: z.literal(true),
  satellite: z.object({
    id: text(),
    api_key: text(),
    name: z.string().catch(''),
    satellite_type: z.enum(['global', 'team']).catch('global'),
    team_id: text().nullable().catch(null),
    status: text().catch('inactive'),
  }),
  message: maybe(z.string()),
});

// --- Heartbeat ---------------------------------------------------------------------------------

export const systemMetricsSchema = z.object({
  cpu_usage_percent: z.number().min(0).max(100),
  memory_usage_mb: z.number().min(0),
  disk_usage_percent: z.number().min(0).max(100).optional(),
  uptime_seconds: z.number().min(0).optional(),
});

/** One server instance in a heartbeat. New fields go here, optional, so older backends ignore them. */
export const heartbeatProcessSchema = z.object({
  /** The installation id. */
  id: z.string(),
  server_name: z.string(),
  status: z.enum(['pending', 'starting', 'running', 'stopping', 'stopped', 'failed']),
  health_status: z.enum(['healthy', 'unhealthy', 'unknown']),
});

export const heartbeatRequestSchema = z.object({
  status: z.enum(['active', 'degraded', 'error']),
  system_metrics: systemMetricsSchema,
  processes: z.array(heartbeatProcessSchema),
  error_count: z.int().min(0),
  version: z.string(),
  satellite_url: z
    .string()
    .regex(/^https?:\/\/\S+$/)
    .optional(),
});

// --- Commands ----------------------------------------------------------------------------------

/** The query string of `GET …/commands`. */
export const commandsQuerySchema = z.object({
  limit: z.string().regex(/^(100|[1-9][0-9]?)$/),
  last_poll: isoTime().optional(),
});

export const commandPrioritySchema = z.enum(['immediate', 'high', 'normal', 'low']);
export const pollingModeSchema = z.enum(['immediate', 'normal', 'slow']);

/** An unknown priority is taken as `normal`, a missing payload as `{}`. */
export const backendCommandSchema = z.object({
  id: text(),
  command_type: text(),
  priority: commandPrioritySchema.catch('normal'),
  payload: jsonObject().catch({}),
  correlation_id: maybe(text()),
  /** Not sent by today's backend; honoured when present. */
  expires_at: maybe(text()),
});

/** A command without `id` or `command_type` cannot be run nor answered: it is left out. */
export const commandPollResponseSchema = z.object({
  commands: skipInvalid(backendCommandSchema),
  polling_mode: maybe(pollingModeSchema),
  /** Seconds. */
  next_poll_interval: maybe(z.number()),
});

/** `configure` without `action` (any `event`): fetch the configuration and apply it. */
export const configurePayloadSchema = z.object({
  event: maybe(z.string()),
  /** The one action known; absent means "apply the configuration". */
  action: z.enum(['update_tool_status']).nullish(),
});

/** `configure` with `action: "update_tool_status"`. */
export const toolStatusPayloadSchema = z.object({
  action: z.literal('update_tool_status'),
  installation_id: text(),
  tool_name: text(),
  is_disabled: z.boolean(),
});

export const spawnPayloadSchema = z.object({
  transport_type: z
    .literal('stdio', { error: 'must be "stdio" (only stdio servers are spawned)' })
    .optional(),
  installation_id: text(),
  server_slug: text(),
  team_id: text(),
  user_id: z.string().nullish(),
  command: text(),
  args: z
    .array(z.string())
    .nullish()
    .transform((a) => a ?? []),
  /** No `secret_metadata` comes with it: every value is masked in logs. */
  env: z
    .record(z.string(), z.string())
    .nullish()
    .transform((e) => e ?? {}),
});

/** `kill` and `restart`: the installation by id or by name, at least one. */
export const installationRefPayloadSchema = z
  .object({
    installation_id: text().nullish(),
    installation_name: text().nullish(),
  })
  .refine((p) => p.installation_id || p.installation_name, {
    // Reads as "payload.installation_id or payload.installation_name is required".
    path: ['installation_id'],
    error: 'or payload.installation_name is required',
  });

/** `health_check`: without `check_type` every upstream is probed. */
export const healthCheckPayloadSchema = z.object({ check_type: z.string().nullish() });

export const credentialCheckPayloadSchema = z.object({
  check_type: z.literal('credential_validation'),
  installation_id: text(),
});

/** `approve_tool_changes`, a satellite-side extension (docs/backend-contract.md "Commands"). */
export const approveToolsPayloadSchema = z.object({
  tools_hash: z
    .string()
    .regex(/^[0-9a-f]{64}$/, { error: 'must be a tool-set hash (64 lowercase hex digits)' }),
});

export const invalidateTokenCachePayloadSchema = z.object({ user_id: text() });

export const commandResultRequestSchema = z.discriminatedUnion('status', [
  z.object({ command_id: z.string(), status: z.literal('completed'), result: jsonObject() }),
  z.object({
    command_id: z.string(),
    status: z.literal('failed'),
    /** The backend drops a field named `error`. */
    error_message: z.string(),
    result: jsonObject().optional(),
  }),
]);

// --- Configuration -----------------------------------------------------------------------------

/**
 * The answer of `GET …/config`. Each `mcp_servers` entry is read on its own
 * (`backendServerEntrySchema`), so one bad entry does not keep the others from applying.
 */
export const satelliteConfigResponseSchema = z.object({
  /** Keyed by the opaque installation name. */
  mcp_servers: jsonObject(),
  /** `polling_intervals`, `resource_limits`, `team_settings`, `logging`, `network`: kept, not acted on. */
  satellite_config: jsonObject().catch({}),
});

/** Values of `env`, `headers`, `url_query_params`: numbers and booleans are taken as strings. */
const stringMap = () =>
  z.record(
    z.string(),
    z.union([z.string(), z.number(), z.boolean()], { error: 'must be a string' }).transform(String),
  );
const secretNames = () => skipInvalid(z.string()).catch([]);

const backendEntryBase = z.object({
  installation_id: text(),
  server_slug: z.string().regex(SLUG_PATTERN),
  team_id: text(),
  /** Defaults to the map key. */
  installation_name: z.string().nullish(),
  /** Makes it a per-user instance. */
  user_id: z.string().nullish(),
  /** `false` keeps it stopped. */
  enabled: z.boolean().nullish(),
  /** Kept as the server's description. */
  server_name: z.string().nullish(),
  /** Names of the values to mask in every log line. */
  secret_metadata: z
    .object({ env: secretNames(), headers: secretNames(), query_params: secretNames() })
    .catch({ env: [], headers: [], query_params: [] }),
  /** Not used. */
  team_slug: z.string().nullish(),
  requires_oauth: z.boolean().nullish(),
});

/**
 * One entry of `mcp_servers` as the backend sends it (read by backend-config.mapper.ts). A bad
 * required field skips the entry; a bad optional one (or one bad item of `args`, `env`, …) is
 * left out and reported.
 */
export const backendServerEntrySchema = z.discriminatedUnion(
  'transport_type',
  [
    backendEntryBase.extend({
      transport_type: z.literal('stdio'),
      command: text(),
      args: z.array(z.string()).nullish(),
      env: stringMap().nullish(),
      /** Not in today's backend: honoured when sent (the server file's syntax). */
      network: networkSettingSchema.optional(),
    }),
    backendEntryBase.extend({
      transport_type: z.enum(['http', 'sse']),
      url: z.string().refine(isHttpUrl, { error: 'must be an http(s) URL' }),
      url_query_params: stringMap().nullish(),
      headers: stringMap().nullish(),
      /** Per-call timeout, milliseconds. */
      timeout: z.number().min(100).nullish(),
    }),
  ],
  { error: 'must be "stdio", "http" or "sse"' },
);

// --- Events ------------------------------------------------------------------------------------

/** Each event's `data` is one of the payloads of src/events/event-map.ts. */
export const eventsRequestSchema = z.object({
  events: z
    .array(z.object({ type: text(), timestamp: isoTime(), data: jsonObject() }))
    .min(1)
    .max(100),
});

export const eventsResponseSchema = z.object({
  success: z.boolean().catch(false),
  processed: z.number().catch(0),
  /** Defaults to the number of `failures`. */
  failed: maybe(z.number()),
  event_ids: skipInvalid(z.string()).catch([]),
  failures: skipInvalid(
    z.object({
      index: z.number().catch(-1),
      type: text().catch('unknown'),
      error: text().catch('no reason given'),
    }),
  )
    .default([])
    .catch([]),
});

// --- Client token introspection ----------------------------------------------------------------

export const introspectRequestSchema = z.object({ token: z.string() });

/** An inactive token is just inactive, whatever else the answer says. */
export const introspectionResponseSchema = z
  .object({
    active: z.boolean(),
    scope: maybe(z.string()),
    client_id: maybe(text()),
    username: maybe(text()),
    sub: maybe(text()),
    aud: maybe(z.union([z.string(), z.array(z.string())])),
    iss: maybe(text()),
    /** Seconds since the epoch. */
    exp: maybe(z.number()),
    iat: maybe(z.number()),
    team_id: maybe(text()),
    team_name: maybe(text()),
    team_role: maybe(text()),
    team_permissions: maybe(skipInvalid(z.string())),
  })
  .transform((r): typeof r => (r.active ? r : { active: false }));

// --- Upstream credentials ----------------------------------------------------------------------

export const upstreamTokenRequestSchema = z.object({
  installation_id: z.string(),
  user_id: z.string(),
  team_id: z.string(),
});

export const upstreamTokenSchema = z.object({
  access_token: text(),
  token_type: text().catch('Bearer'),
  refresh_token: maybe(text()),
  expires_at: maybe(text()),
  scope: maybe(text()),
});

// --- Inferred types ----------------------------------------------------------------------------

/** What the satellite sends. */
export type RegisterRequest = z.input<typeof registerRequestSchema>;
export type SystemMetrics = z.input<typeof systemMetricsSchema>;
export type HeartbeatRequest = z.input<typeof heartbeatRequestSchema>;
export type CommandResultRequest = z.input<typeof commandResultRequestSchema>;
export type EventsRequest = z.input<typeof eventsRequestSchema>;
export type UpstreamTokenRequest = z.input<typeof upstreamTokenRequestSchema>;

/** What the satellite reads, after lenient parsing. */
export type RegisterResponse = z.output<typeof registerResponseSchema>;
export type RegisteredSatellite = RegisterResponse['satellite'];
export type CommandPriority = z.output<typeof commandPrioritySchema>;
export type PollingMode = z.output<typeof pollingModeSchema>;
export type BackendCommand = z.output<typeof backendCommandSchema>;
export type CommandPollResponse = z.output<typeof commandPollResponseSchema>;
export type SatelliteConfigResponse = z.output<typeof satelliteConfigResponseSchema>;
export type BackendServerEntry = z.output<typeof backendServerEntrySchema>;
export type EventsResponse = z.output<typeof eventsResponseSchema>;
export type IntrospectionResponse = z.output<typeof introspectionResponseSchema>;
export type UpstreamToken = z.output<typeof upstreamTokenSchema>;
