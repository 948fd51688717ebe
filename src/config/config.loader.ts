import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { loadClientAuth, loadQuotas } from './client-auth.config.js';
import { EnvDto } from './env.dto.js';
import type { NetworkMode } from './network-setting.js';
import { parseServerConfig, ServerConfigError } from './mcp-server-file.js';
import {
  CA_TRUST_VARS,
  type RunEnvironment,
  type SandboxDriverName,
  SatelliteConfig,
} from './satellite-config.js';
import type { ServerDefinition } from './server-definition.js';

/** The project root (where package.json and config/ live), from src/config or dist/config. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEMO_CONFIG_PATH = resolve(PROJECT_ROOT, 'config', 'mcp-servers.demo.json');

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration, the satellite cannot start:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** One line per bad variable, quoting the raw value the operator wrote. */
function flatten(errors: ValidationError[], env: NodeJS.ProcessEnv): string[] {
  return errors.map(
    (e) =>
      `${e.property}=${JSON.stringify(env[e.property])}: ${Object.values(e.constraints ?? {})
        .reverse()
        .join('; ')}`,
  );
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(resolve(PROJECT_ROOT, 'package.json'), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const LOOPBACK_ORIGINS = ['localhost', '127.0.0.1', '[::1]', '::1'];

/**
 * Validates the environment and the standalone server config file together, and reports every
 * problem in one error (docs/style.md §4).
 */
export function loadSatelliteConfig(env: NodeJS.ProcessEnv, cwd = process.cwd()): SatelliteConfig {
  const dto = plainToInstance(EnvDto, { ...env }, { enableImplicitConversion: false });
  const problems = flatten(
    validateSync(dto, { whitelist: false, forbidUnknownValues: false }),
    env,
  );

  const configPath = dto.DEPLOYSTACK_MCP_CONFIG
    ? isAbsolute(dto.DEPLOYSTACK_MCP_CONFIG)
      ? dto.DEPLOYSTACK_MCP_CONFIG
      : resolve(cwd, dto.DEPLOYSTACK_MCP_CONFIG)
    : DEMO_CONFIG_PATH;
  let initialServers: ServerDefinition[] = [];
  try {
    initialServers = parseServerConfig(readFileSync(configPath, 'utf8'), configPath);
  } catch (err) {
    if (err instanceof ServerConfigError)
      problems.push(...err.problems.map((p) => `${configPath}: ${p}`));
    else
      problems.push(
        `DEPLOYSTACK_MCP_CONFIG=${configPath}: cannot read the file (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
      );
  }
  const host = dto.HOST ?? '127.0.0.1';
  const clientAuth = loadClientAuth(dto, cwd, host, problems);
  if ((dto.DEPLOYSTACK_TASK_TTL_MS ?? 0) > (dto.DEPLOYSTACK_TASK_MAX_TTL_MS ?? 86_400_000))
    problems.push(
      'DEPLOYSTACK_TASK_TTL_MS must not exceed DEPLOYSTACK_TASK_MAX_TTL_MS (default 86400000)',
    );
  if (
    dto.DEPLOYSTACK_EMBEDDINGS_LOCAL !== undefined &&
    dto.DEPLOYSTACK_EMBEDDINGS_URL !== undefined
  )
    problems.push(
      `DEPLOYSTACK_EMBEDDINGS_LOCAL="${dto.DEPLOYSTACK_EMBEDDINGS_LOCAL}": cannot be set together with DEPLOYSTACK_EMBEDDINGS_URL; choose the local model or the endpoint`,
    );
  if (problems.length > 0) throw new ConfigError(problems);

  const runEnv = (dto.NODE_ENV ?? 'development') as RunEnvironment;
  const dataDir = dto.DEPLOYSTACK_DATA_DIR ?? 'persistent_data';
  return SatelliteConfig.of({
    env: runEnv,
    version: readVersion(),
    http: {
      host,
      port: dto.PORT ?? 3001,
      requestTimeoutMs: dto.DEPLOYSTACK_HTTP_REQUEST_TIMEOUT_MS ?? 30_000,
    },
    logLevel: dto.LOG_LEVEL ?? (runEnv === 'test' ? 'warn' : 'info'),
    dataDir: isAbsolute(dataDir) ? dataDir : resolve(cwd, dataDir),
    shutdownTimeoutMs: dto.DEPLOYSTACK_SHUTDOWN_TIMEOUT_MS ?? 8000,
    tasks: {
      maxPerOwner: dto.DEPLOYSTACK_TASK_MAX_PER_OWNER ?? 100,
      maxBytesPerOwner: dto.DEPLOYSTACK_TASK_MAX_BYTES_PER_OWNER ?? 16 * 1024 * 1024,
      ttlMs: dto.DEPLOYSTACK_TASK_TTL_MS ?? 60 * 60_000,
      maxTtlMs: dto.DEPLOYSTACK_TASK_MAX_TTL_MS ?? 24 * 60 * 60_000,
      pollIntervalMs: dto.DEPLOYSTACK_TASK_POLL_INTERVAL_MS ?? 2_000,
      runTimeoutMs: dto.DEPLOYSTACK_TASK_RUN_TIMEOUT_MS ?? 60 * 60_000,
    },
    mcp: {
      allowedOrigins: dto.DEPLOYSTACK_ALLOWED_ORIGINS
        ? dto.DEPLOYSTACK_ALLOWED_ORIGINS.split(',')
            .map((s) => s.trim().toLowerCase())
            .filter(Boolean)
        : LOOPBACK_ORIGINS,
      sessionIdleTimeoutMs: dto.DEPLOYSTACK_SESSION_IDLE_TIMEOUT_MS ?? 30 * 60_000,
      maxSessions: dto.DEPLOYSTACK_MAX_SESSIONS ?? 1000,
      toolsListTtlMs: dto.DEPLOYSTACK_TOOLS_LIST_TTL_MS ?? 300_000,
      ...(dto.DEPLOYSTACK_SESSION_SECRET ? { sessionSecret: dto.DEPLOYSTACK_SESSION_SECRET } : {}),
    },
    discovery: {
      configPath,
      watch: dto.DEPLOYSTACK_MCP_CONFIG_WATCH ?? true,
      initialServers,
      timeoutMs: dto.DEPLOYSTACK_DISCOVERY_TIMEOUT_MS ?? 30_000,
      callTimeoutMs: dto.DEPLOYSTACK_TOOL_CALL_TIMEOUT_MS ?? 120_000,
      retryBaseMs: dto.DEPLOYSTACK_DISCOVERY_RETRY_BASE_MS ?? 1_000,
      retryMaxMs: dto.DEPLOYSTACK_DISCOVERY_RETRY_MAX_MS ?? 60_000,
    },
    catalog: {
      toolPinning: (dto.DEPLOYSTACK_TOOL_PINNING ?? 'warn') as 'warn' | 'hold',
      callWaitMs: dto.DEPLOYSTACK_CATALOG_CALL_WAIT_MS ?? 30_000,
      recheckIntervalMs: dto.DEPLOYSTACK_TOOLS_RECHECK_INTERVAL_MS ?? 10 * 60_000,
      recheckStdio: dto.DEPLOYSTACK_TOOLS_RECHECK_STDIO ?? false,
    },
    resilience: {
      healthIntervalMs: dto.DEPLOYSTACK_HEALTH_INTERVAL_MS ?? 15_000,
      healthTimeoutMs: dto.DEPLOYSTACK_HEALTH_TIMEOUT_MS ?? 5_000,
      unhealthyAfter: dto.DEPLOYSTACK_HEALTH_UNHEALTHY_AFTER ?? 2,
      breakerConsecutiveFailures: dto.DEPLOYSTACK_BREAKER_CONSECUTIVE_FAILURES ?? 5,
      breakerFailureRate: dto.DEPLOYSTACK_BREAKER_FAILURE_RATE ?? 0.5,
      breakerWindowMs: dto.DEPLOYSTACK_BREAKER_WINDOW_MS ?? 30_000,
      breakerMinCalls: dto.DEPLOYSTACK_BREAKER_MIN_CALLS ?? 20,
      breakerHalfOpenAfterMs: dto.DEPLOYSTACK_BREAKER_HALF_OPEN_AFTER_MS ?? 10_000,
      maxConcurrent: dto.DEPLOYSTACK_SERVER_MAX_CONCURRENT ?? 64,
      maxQueue: dto.DEPLOYSTACK_SERVER_MAX_QUEUE ?? 256,
    },
    process: {
      sandbox: (dto.DEPLOYSTACK_SANDBOX ?? 'auto') as SandboxDriverName,
      allowUnsandboxed: dto.DEPLOYSTACK_ALLOW_UNSANDBOXED ?? runEnv !== 'production',
      network: (dto.DEPLOYSTACK_SANDBOX_NETWORK ?? 'egress') as NetworkMode,
      installTimeoutMs: dto.DEPLOYSTACK_INSTALL_TIMEOUT_MS ?? 5 * 60_000,
      caTrust: Object.fromEntries(
        CA_TRUST_VARS.flatMap((name) => (env[name] ? [[name, env[name]]] : [])),
      ),
      idleTimeoutMs: dto.DEPLOYSTACK_PROCESS_IDLE_TIMEOUT_MS ?? 5 * 60_000,
      handshakeTimeoutMs: dto.DEPLOYSTACK_HANDSHAKE_TIMEOUT_MS ?? 30_000,
      killGraceMs: dto.DEPLOYSTACK_PROCESS_KILL_GRACE_MS ?? 3000,
      health: {
        pingIntervalMs: dto.DEPLOYSTACK_PROCESS_PING_INTERVAL_MS ?? 30_000,
        pingTimeoutMs: dto.DEPLOYSTACK_PROCESS_PING_TIMEOUT_MS ?? 10_000,
        unresponsiveAfter: dto.DEPLOYSTACK_PROCESS_UNRESPONSIVE_PINGS ?? 3,
        restartUnresponsive: dto.DEPLOYSTACK_PROCESS_RESTART_UNRESPONSIVE ?? true,
      },
      limits: {
        memoryMb: dto.DEPLOYSTACK_LIMIT_MEMORY_MB ?? 100,
        cpuCores: dto.DEPLOYSTACK_LIMIT_CPU ?? 0.1,
        maxProcesses: dto.DEPLOYSTACK_LIMIT_PIDS ?? 50,
        cpuSeconds: dto.DEPLOYSTACK_LIMIT_CPU_SECONDS ?? 60,
      },
    },
    status: { showDebugRoute: dto.DEPLOYSTACK_STATUS_SHOW_MCP_DEBUG_ROUTE ?? false },
    auth: {
      client: clientAuth,
      satelliteUrl: (
        dto.DEPLOYSTACK_SATELLITE_URL ?? `http://localhost:${dto.PORT ?? 3001}`
      ).replace(/\/+$/, ''),
      quotas: loadQuotas(dto),
    },
    search: {
      // env.dto.ts guarantees the model when the URL is set; an empty API key means none. The
      // local model and the URL never come together (checked above).
      ...(dto.DEPLOYSTACK_EMBEDDINGS_LOCAL
        ? {
            embeddings: {
              local: dto.DEPLOYSTACK_EMBEDDINGS_LOCAL as 'use-lite',
              ...(dto.DEPLOYSTACK_EMBEDDINGS_WEIGHT !== undefined
                ? { weight: dto.DEPLOYSTACK_EMBEDDINGS_WEIGHT }
                : {}),
            },
          }
        : {}),
      ...(dto.DEPLOYSTACK_EMBEDDINGS_URL
        ? {
            embeddings: {
              url: dto.DEPLOYSTACK_EMBEDDINGS_URL,
              model: dto.DEPLOYSTACK_EMBEDDINGS_MODEL ?? '',
              ...(dto.DEPLOYSTACK_EMBEDDINGS_API_KEY
                ? { apiKey: dto.DEPLOYSTACK_EMBEDDINGS_API_KEY }
                : {}),
              ...(dto.DEPLOYSTACK_EMBEDDINGS_WEIGHT !== undefined
                ? { weight: dto.DEPLOYSTACK_EMBEDDINGS_WEIGHT }
                : {}),
            },
          }
        : {}),
    },
    // Managed mode (docs/managed-mode.md); env.dto.ts guarantees the name when the URL is set.
    jobs: { schedulerEnabled: dto.DEPLOYSTACK_SCHEDULER_ENABLED ?? true },
    ...(dto.DEPLOYSTACK_BACKEND_URL
      ? {
          backend: {
            url: dto.DEPLOYSTACK_BACKEND_URL.replace(/\/+$/, ''),
            publicUrl: (dto.DEPLOYSTACK_BACKEND_PUBLIC_URL ?? dto.DEPLOYSTACK_BACKEND_URL).replace(
              /\/+$/,
              '',
            ),
            ...(dto.DEPLOYSTACK_REGISTRATION_TOKEN
              ? { registrationToken: dto.DEPLOYSTACK_REGISTRATION_TOKEN }
              : {}),
            satelliteName: dto.DEPLOYSTACK_SATELLITE_NAME ?? '',
            satelliteUrl: (
              dto.DEPLOYSTACK_SATELLITE_URL ?? `http://localhost:${dto.PORT ?? 3001}`
            ).replace(/\/+$/, ''),
            events: {
              batchSize: dto.DEPLOYSTACK_EVENT_BATCH_SIZE ?? 100,
              maxQueued: dto.DEPLOYSTACK_EVENT_QUEUE_MAX ?? 10_000,
            },
          },
        }
      : {}),
  });
}
