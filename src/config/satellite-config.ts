import type { NetworkMode } from './network-setting.js';
import type { StaticToken } from './auth-tokens-file.js';
import type { ServerDefinition } from './server-definition.js';

/** The satellite's CA settings that sandboxed servers inherit (paths, never secrets; clean-env.ts). */
export const CA_TRUST_VARS = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'REQUESTS_CA_BUNDLE',
  'PIP_CERT',
  'CURL_CA_BUNDLE',
] as const;

export type RunEnvironment = 'development' | 'production' | 'test';
export type SandboxDriverName = 'auto' | 'nsjail' | 'bwrap' | 'none';

export interface ResourceLimits {
  readonly memoryMb: number;
  /** Fraction of one core, e.g. 0.1. */
  readonly cpuCores: number;
  readonly maxProcesses: number;
  readonly cpuSeconds: number;
}

/** An OpenAI-compatible embeddings endpoint (docs/search.md, "Optional semantic stage"). */
/** An OpenAI-compatible embeddings endpoint (`DEPLOYSTACK_EMBEDDINGS_URL`). */
export interface EndpointEmbeddingsConfig {
  /** Base URL (`…/v1`) or the full `/embeddings` URL. */
  readonly url: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  readonly apiKey?: string;
  /** Weight of embedding similarity against the lexical ranking's 1 (default 0.5). */
  readonly weight?: number;
}

/** The local model in a worker thread (`DEPLOYSTACK_EMBEDDINGS_LOCAL`), an optional dependency. */
export interface LocalEmbeddingsConfig {
  readonly local: 'use-lite';
  /** Weight of embedding similarity against the lexical ranking's 1 (default 0.5). */
  readonly weight?: number;
}

/** The semantic stage's model: an endpoint or the local one, never both. */
export type EmbeddingsConfig = EndpointEmbeddingsConfig | LocalEmbeddingsConfig;

/**
 * How MCP clients authenticate in standalone mode (`DEPLOYSTACK_AUTH`, docs/security.md). Managed
 * mode always uses the backend's OAuth tokens and ignores this.
 */
export type ClientAuthConfig =
  | {
      readonly kind: 'none';
      /** `DEPLOYSTACK_ALLOW_UNAUTHENTICATED`: set when HOST is not loopback (warned at start). */
      readonly allowUnauthenticated: boolean;
    }
  | {
      readonly kind: 'tokens';
      readonly tokensFile: string;
      /** The file as read at boot (the boot fails on an invalid file); edits are watched. */
      readonly initialTokens: readonly StaticToken[];
    }
  | {
      readonly kind: 'jwt';
      readonly issuer: string;
      /** A token must name one of these in `aud`. */
      readonly audience: readonly string[];
      /** Unset: the `jwks_uri` of the issuer's discovery document. */
      readonly jwksUrl?: string;
      readonly teamsClaim: string;
    };

/** `DEPLOYSTACK_PROCESS_PING_*`, `…_UNRESPONSIVE_PINGS`, `…_RESTART_UNRESPONSIVE`. */
export interface ProcessHealthConfig {
  /** Mean time between two pings of one running server (jittered ±20 %); 0 = no pings. */
  readonly pingIntervalMs: number;
  /** A ping not answered within this counts as unanswered. */
  readonly pingTimeoutMs: number;
  /** Unanswered pings in a row after which a live server is restarted. */
  readonly unresponsiveAfter: number;
  readonly restartUnresponsive: boolean;
}

/** Per-principal limits (docs/security.md "Quotas"); anonymous callers have none of their own. */
export interface QuotaConfig {
  readonly maxSessionsPerPrincipal: number;
  /** Tool calls per minute (token bucket: bursts up to this, refilled evenly). */
  readonly callsPerMinute: number;
  readonly maxConcurrentCalls: number;
  /** GET (server-to-client) streams open at once on one session. */
  readonly maxStreamsPerSession: number;
}

/**
 * The one typed configuration tree, validated at boot and injected by class token.
 * Nothing outside `src/config/` reads `process.env`.
 */
export class SatelliteConfig {
  readonly env!: RunEnvironment;
  readonly version!: string;
  readonly http!: {
    readonly host: string;
    readonly port: number;
    /**
     * Time a client has to send a whole request (headers and body); past it the connection gets
     * 408 and is closed, so a stalled or trickled body cannot hold a socket and its buffers forever.
     */
    readonly requestTimeoutMs: number;
  };
  readonly logLevel!: string;
  readonly dataDir!: string;
  readonly shutdownTimeoutMs!: number;
  /** Tool calls run as tasks (docs/tasks.md). */
  readonly tasks!: {
    /** Tasks an owner may hold at once (running or with a result waiting). */
    readonly maxPerOwner: number;
    /** Bytes of stored results an owner may hold at once. */
    readonly maxBytesPerOwner: number;
    /** Lifetime of a task when the client asks for none (from its creation). */
    readonly ttlMs: number;
    /** Longest lifetime a client may ask for. */
    readonly maxTtlMs: number;
    /** The poll hint given to clients. */
    readonly pollIntervalMs: number;
    /** Upstream timeout of a call run as a task (in place of the per-call timeout). */
    readonly runTimeoutMs: number;
  };
  readonly mcp!: {
    /** Hostnames allowed in a present `Origin` header. */
    readonly allowedOrigins: readonly string[];
    readonly sessionIdleTimeoutMs: number;
    readonly maxSessions: number;
    /** `ttlMs` of tools/list for 2026-07-28 clients (the same for every caller of one identity). */
    readonly toolsListTtlMs: number;
    /**
     * Set when several replicas share sessions: session ids are signed with it and carry what a
     * replica needs to rebuild the session on first sight.
     */
    readonly sessionSecret?: string;
  };
  readonly discovery!: {
    readonly configPath: string;
    readonly watch: boolean;
    /** Servers parsed at boot (the boot fails on an invalid file). */
    readonly initialServers: readonly ServerDefinition[];
    /** Per-server connect + tools/list timeout. */
    readonly timeoutMs: number;
    /** Default per-call timeout (reset by progress notifications). */
    readonly callTimeoutMs: number;
    /** First wait before retrying a remote server whose discovery failed (discovery-retry.ts). */
    readonly retryBaseMs: number;
    /** Longest wait between two such retries. */
    readonly retryMaxMs: number;
  };
  /** The persisted catalog, tool pinning and the periodic re-check (docs/operations.md). */
  readonly catalog!: {
    /** Default policy of servers without their own `toolPinning`. */
    readonly toolPinning: 'warn' | 'hold';
    /** Longest wait of a call for a server whose tools were restored but which is not up yet. */
    readonly callWaitMs: number;
    /** Period of the tools/list re-check of online servers; 0: off. */
    readonly recheckIntervalMs: number;
    /** Whether running stdio servers are re-checked too (off: they notify, or crash and restart). */
    readonly recheckStdio: boolean;
  };
  /** Instance pools of HTTP/SSE servers: health, breakers, concurrency (docs/operations.md). */
  readonly resilience!: ResilienceSettings;
  readonly process!: {
    readonly sandbox: SandboxDriverName;
    readonly allowUnsandboxed: boolean;
    /** Default network of a sandboxed server without its own `network` setting. */
    readonly network: NetworkMode;
    /** Bound on the first start of a package-runner server (download + handshake). */
    readonly installTimeoutMs: number;
    /** The satellite's own CA settings (CA_TRUST_VARS that are set), passed to its servers. */
    readonly caTrust: Readonly<Record<string, string>>;
    readonly idleTimeoutMs: number;
    readonly handshakeTimeoutMs: number;
    readonly killGraceMs: number;
    readonly limits: ResourceLimits;
    /** The responsiveness probe of running servers (docs/process.md "Health"). */
    readonly health: ProcessHealthConfig;
  };
  readonly status!: { readonly showDebugRoute: boolean };
  /** Client authentication and quotas (docs/security.md). */
  readonly auth!: {
    readonly client: ClientAuthConfig;
    /** The satellite's public URL (`DEPLOYSTACK_SATELLITE_URL`): the OAuth resource is `<url>/mcp`. */
    readonly satelliteUrl: string;
    readonly quotas: QuotaConfig;
  };
  /** `schedulerEnabled: false` turns every recurring job off (tests drive the services by hand). */
  readonly jobs!: { readonly schedulerEnabled: boolean };
  /** Managed mode (docs/managed-mode.md): present only when DEPLOYSTACK_BACKEND_URL is set. */
  readonly backend?: {
    /** Base URL of the backend API, without a trailing slash. */
    readonly url: string;
    /** The backend URL MCP clients see (OAuth authorization server in the RFC 9728 metadata). */
    readonly publicUrl: string;
    /** Needed only for the first registration; never logged. */
    readonly registrationToken?: string;
    readonly satelliteName: string;
    /** The satellite's public URL, as MCP clients reach it. */
    readonly satelliteUrl: string;
    readonly events: { readonly batchSize: number; readonly maxQueued: number };
  };

  readonly search!: {
    /** The optional semantic stage of tool search: present only when DEPLOYSTACK_EMBEDDINGS_URL or _LOCAL is set. */
    readonly embeddings?: EmbeddingsConfig;
  };

  static of(value: SatelliteConfig): SatelliteConfig {
    return Object.assign(new SatelliteConfig(), value);
  }
}

/** Defaults for every HTTP/SSE server; `DEPLOYSTACK_*` variables in docs/configuration.md. */
export interface ResilienceSettings {
  /** Active `ping` of each instance, jittered by ±20 %; 0 turns active checks off. */
  readonly healthIntervalMs: number;
  readonly healthTimeoutMs: number;
  /** Failed active checks in a row that take an instance out of rotation. */
  readonly unhealthyAfter: number;
  /** A breaker opens after this many failures in a row… */
  readonly breakerConsecutiveFailures: number;
  /** …or when this share of calls failed within the window (and at least `breakerMinCalls` ran). */
  readonly breakerFailureRate: number;
  readonly breakerWindowMs: number;
  readonly breakerMinCalls: number;
  /** How long an open breaker fails fast before it lets one probe through. */
  readonly breakerHalfOpenAfterMs: number;
  /** Calls one server runs at once, and calls that may wait for a slot; past both: "busy". */
  readonly maxConcurrent: number;
  readonly maxQueue: number;
}
