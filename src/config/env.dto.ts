import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsDefined,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import { NETWORK_MODES } from './network-setting.js';

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off', ''].includes(v)) return false;
  return value;
};

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export const SANDBOX_DRIVERS = ['auto', 'nsjail', 'bwrap', 'none'] as const;
export const AUTH_MODES = ['none', 'tokens', 'jwt'] as const;
/** `DEPLOYSTACK_EMBEDDINGS_LOCAL`: the local embedding models (docs/search.md). */
export const LOCAL_EMBEDDING_MODELS = ['use-lite'] as const;
const HTTP_URL = { require_tld: false, require_protocol: true, protocols: ['http', 'https'] };

/**
 * Every environment variable the satellite reads, validated once at boot (docs/style.md §4).
 * Names follow the original satellite's where one existed.
 */
export class EnvDto {
  @IsOptional() @IsIn(['development', 'production', 'test']) NODE_ENV?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(0) @Max(65535) PORT?: number;
  @IsOptional() @IsString() @MinLength(1) HOST?: string;
  @IsOptional() @IsIn(LOG_LEVELS) LOG_LEVEL?: string;
  /** Time a client has to send a whole request (headers and body) before it gets 408. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(500)
  DEPLOYSTACK_HTTP_REQUEST_TIMEOUT_MS?: number;

  /** Path of the standalone MCP server config (Claude Desktop / Cursor / VS Code JSON). */
  @IsOptional() @IsString() @MinLength(1) DEPLOYSTACK_MCP_CONFIG?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() DEPLOYSTACK_MCP_CONFIG_WATCH?: boolean;

  /** Comma-separated hostnames allowed in a present Origin header (default: loopback names). */
  @IsOptional() @IsString() DEPLOYSTACK_ALLOWED_ORIGINS?: string;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1000)
  DEPLOYSTACK_SESSION_IDLE_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_MAX_SESSIONS?: number;
  /** How long a 2026-07-28 client may cache tools/list (ttlMs), on /mcp and direct endpoints. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_TOOLS_LIST_TTL_MS?: number;
  /** Shared by every replica: signs session ids so any replica can serve any session (docs/operations.md). */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'DEPLOYSTACK_SESSION_SECRET must be at least 32 characters' })
  DEPLOYSTACK_SESSION_SECRET?: string;

  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_DISCOVERY_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_TOOL_CALL_TIMEOUT_MS?: number;
  /** Backoff of remote servers whose discovery failed: first wait, longest wait. */
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DEPLOYSTACK_DISCOVERY_RETRY_BASE_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_DISCOVERY_RETRY_MAX_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_SHUTDOWN_TIMEOUT_MS?: number;
  /** Tool calls run as tasks (docs/tasks.md): per-owner bounds, lifetimes, the poll hint. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_TASK_MAX_PER_OWNER?: number;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1024)
  DEPLOYSTACK_TASK_MAX_BYTES_PER_OWNER?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) DEPLOYSTACK_TASK_TTL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) DEPLOYSTACK_TASK_MAX_TTL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_TASK_POLL_INTERVAL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) DEPLOYSTACK_TASK_RUN_TIMEOUT_MS?: number;
  /** Instance pools, health checks, circuit breakers and the per-server concurrency limit (docs/configuration.md). */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_HEALTH_INTERVAL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_HEALTH_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_HEALTH_UNHEALTHY_AFTER?: number;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  DEPLOYSTACK_BREAKER_CONSECUTIVE_FAILURES?: number;
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0.01)
  @Max(1)
  DEPLOYSTACK_BREAKER_FAILURE_RATE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) DEPLOYSTACK_BREAKER_WINDOW_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_BREAKER_MIN_CALLS?: number;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(100)
  DEPLOYSTACK_BREAKER_HALF_OPEN_AFTER_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_SERVER_MAX_CONCURRENT?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_SERVER_MAX_QUEUE?: number;

  @IsOptional() @Transform(toBool) @IsBoolean() DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE?: boolean;
  @IsOptional() @IsString() @MinLength(1) DEPLOYSTACK_DATA_DIR?: string;

  /** The persisted catalog and tool pinning (docs/configuration.md "Tool catalog"). */
  @IsOptional() @IsIn(['warn', 'hold']) DEPLOYSTACK_TOOL_PINNING?: string;
  /** How long a call to a server restored from the persisted catalog waits for it to be up. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_CATALOG_CALL_WAIT_MS?: number;
  /** Periodic tools/list of online remote servers; 0 turns it off. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_TOOLS_RECHECK_INTERVAL_MS?: number;
  /** Whether the periodic re-check also lists running stdio servers (dormant ones are never woken). */
  @IsOptional() @Transform(toBool) @IsBoolean() DEPLOYSTACK_TOOLS_RECHECK_STDIO?: boolean;

  // Process supervision and sandboxing (stdio servers).
  @IsOptional() @IsIn(SANDBOX_DRIVERS) DEPLOYSTACK_SANDBOX?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() DEPLOYSTACK_ALLOW_UNSANDBOXED?: boolean;
  /** What sandboxed servers may reach by default: `egress` (internet, never the host) or `none`. */
  @IsOptional() @IsIn(NETWORK_MODES) DEPLOYSTACK_SANDBOX_NETWORK?: string;
  /** First start of a package-runner server (npx, uvx, …): download + handshake, in ms. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(1000) DEPLOYSTACK_INSTALL_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_PROCESS_IDLE_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_HANDSHAKE_TIMEOUT_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_PROCESS_KILL_GRACE_MS?: number;
  /** Responsiveness probe of running stdio servers (docs/process.md "Health"); 0 = no pings. */
  @IsOptional() @Type(() => Number) @IsInt() @Min(0) DEPLOYSTACK_PROCESS_PING_INTERVAL_MS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(100) DEPLOYSTACK_PROCESS_PING_TIMEOUT_MS?: number;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  DEPLOYSTACK_PROCESS_UNRESPONSIVE_PINGS?: number;
  @IsOptional()
  @Transform(toBool)
  @IsBoolean()
  DEPLOYSTACK_PROCESS_RESTART_UNRESPONSIVE?: boolean;
  @IsOptional() @Type(() => Number) @IsInt() @Min(8) DEPLOYSTACK_LIMIT_MEMORY_MB?: number;
  @IsOptional() @Type(() => Number) @IsNumber() @Min(0.01) DEPLOYSTACK_LIMIT_CPU?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_LIMIT_PIDS?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_LIMIT_CPU_SECONDS?: number;

  // Managed mode (docs/managed-mode.md): DEPLOYSTACK_BACKEND_URL turns it on.
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  DEPLOYSTACK_BACKEND_URL?: string;
  @IsOptional() @IsString() @MinLength(1) DEPLOYSTACK_REGISTRATION_TOKEN?: string;
  @ValidateIf(
    (e: EnvDto) =>
      e.DEPLOYSTACK_BACKEND_URL !== undefined || e.DEPLOYSTACK_SATELLITE_NAME !== undefined,
  )
  @Matches(/^[a-z0-9_-]{10,32}$/, {
    message: 'is required in managed mode: 10-32 characters of a-z, 0-9, _ and -',
  })
  DEPLOYSTACK_SATELLITE_NAME?: string;
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  DEPLOYSTACK_SATELLITE_URL?: string;
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  DEPLOYSTACK_BACKEND_PUBLIC_URL?: string;
  @IsOptional() @Transform(toBool) @IsBoolean() DEPLOYSTACK_SCHEDULER_ENABLED?: boolean;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(100)
  DEPLOYSTACK_EVENT_BATCH_SIZE?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_EVENT_QUEUE_MAX?: number;

  // Client authentication in standalone mode and per-principal quotas (docs/security.md).
  @IsOptional() @IsIn(AUTH_MODES) DEPLOYSTACK_AUTH?: string;
  /** Lets `DEPLOYSTACK_AUTH=none` listen on a non-loopback HOST (warned about at every start). */
  @IsOptional() @Transform(toBool) @IsBoolean() DEPLOYSTACK_ALLOW_UNAUTHENTICATED?: boolean;
  @ValidateIf((e: EnvDto) => e.DEPLOYSTACK_AUTH === 'tokens')
  @IsDefined({ message: 'is required when DEPLOYSTACK_AUTH=tokens' })
  @IsString()
  @MinLength(1)
  DEPLOYSTACK_AUTH_TOKENS_FILE?: string;
  @ValidateIf((e: EnvDto) => e.DEPLOYSTACK_AUTH === 'jwt')
  @IsDefined({ message: 'is required when DEPLOYSTACK_AUTH=jwt' })
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  DEPLOYSTACK_AUTH_JWT_ISSUER?: string;
  /** Comma-separated: a token must name one of them in `aud`. */
  @ValidateIf((e: EnvDto) => e.DEPLOYSTACK_AUTH === 'jwt')
  @IsDefined({ message: 'is required when DEPLOYSTACK_AUTH=jwt' })
  @IsString()
  @MinLength(1)
  DEPLOYSTACK_AUTH_JWT_AUDIENCE?: string;
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  DEPLOYSTACK_AUTH_JWKS_URL?: string;
  @IsOptional() @IsString() @MinLength(1) DEPLOYSTACK_AUTH_JWT_TEAMS_CLAIM?: string;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  DEPLOYSTACK_MAX_SESSIONS_PER_PRINCIPAL?: number;
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) DEPLOYSTACK_RATE_LIMIT_PER_MINUTE?: number;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  DEPLOYSTACK_MAX_CONCURRENT_CALLS_PER_PRINCIPAL?: number;
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  DEPLOYSTACK_MAX_STREAMS_PER_SESSION?: number;

  // Tool search's optional semantic stage (docs/search.md): DEPLOYSTACK_EMBEDDINGS_URL or
  // DEPLOYSTACK_EMBEDDINGS_LOCAL turns it on.
  /** OpenAI-compatible base URL (`…/v1`) or the full `/embeddings` URL. */
  @IsOptional()
  @IsUrl(HTTP_URL, { message: 'must be an http(s) URL' })
  DEPLOYSTACK_EMBEDDINGS_URL?: string;
  @ValidateIf((e: EnvDto) => e.DEPLOYSTACK_EMBEDDINGS_URL !== undefined)
  @IsString()
  @MinLength(1, { message: 'is required when DEPLOYSTACK_EMBEDDINGS_URL is set' })
  DEPLOYSTACK_EMBEDDINGS_MODEL?: string;
  /** A secret: no rule that could fail on it, so a validation error never quotes it. */
  @IsOptional() @IsString() DEPLOYSTACK_EMBEDDINGS_API_KEY?: string;
  /** The local model (an optional dependency) instead of an endpoint; not with the URL. */
  @IsOptional()
  @IsIn(LOCAL_EMBEDDING_MODELS, { message: 'must be use-lite (or unset)' })
  DEPLOYSTACK_EMBEDDINGS_LOCAL?: string;
  /** Weight of embedding similarity against the lexical ranking's 1. */
  @IsOptional()
  @Type(() => Number)
  @IsNumber()
  @Min(0)
  @Max(10)
  DEPLOYSTACK_EMBEDDINGS_WEIGHT?: number;
}
