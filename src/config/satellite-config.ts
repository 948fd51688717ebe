import type { ServerDefinition } from './server-definition.js';

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
export interface EmbeddingsConfig {
  /** Base URL (`…/v1`) or the full `/embeddings` URL. */
  readonly url: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …`; never logged. */
  readonly apiKey?: string;
  /** Weight of embedding similarity against the lexical ranking's 1 (default 0.5). */
  readonly weight?: number;
}

/**
 * The one typed configuration tree, validated at boot and injected by class token.
 * Nothing outside `src/config/` reads `process.env`.
 */
export class SatelliteConfig {
  readonly env!: RunEnvironment;
  readonly version!: string;
  readonly http!: { readonly host: string; readonly port: number };
  readonly logLevel!: string;
  readonly dataDir!: string;
  readonly shutdownTimeoutMs!: number;
  readonly mcp!: {
    /** Hostnames allowed in a present `Origin` header. */
    readonly allowedOrigins: readonly string[];
    readonly sessionIdleTimeoutMs: number;
    readonly maxSessions: number;
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
  };
  readonly process!: {
    readonly sandbox: SandboxDriverName;
    readonly allowUnsandboxed: boolean;
    readonly idleTimeoutMs: number;
    readonly handshakeTimeoutMs: number;
    readonly killGraceMs: number;
    readonly limits: ResourceLimits;
  };
  readonly status!: { readonly showDebugRoute: boolean };
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
    /** The optional semantic stage of tool search: present only when DEPLOYSTACK_EMBEDDINGS_URL is set. */
    readonly embeddings?: EmbeddingsConfig;
  };

  static of(value: SatelliteConfig): SatelliteConfig {
    return Object.assign(new SatelliteConfig(), value);
  }
}
