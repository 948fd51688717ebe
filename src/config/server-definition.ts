import { createHash } from 'node:crypto';
import type { NetworkSetting } from './network-setting.js';

/** The desired state of one upstream MCP server instance, from any configuration source. */
export type TransportKind = 'stdio' | 'http' | 'sse';

interface ServerDefinitionBase {
  /** Unique instance id: the slug in standalone mode, the installation id in managed mode. */
  readonly id: string;
  /** The slug that prefixes tool paths (`{slug}-{tool}`) and names the direct endpoint. */
  readonly slug: string;
  /** The installation's name where it differs from the slug (managed mode: `installation_name`). */
  readonly name?: string;
  readonly team: string;
  /** Set for per-user instances (managed mode): only that user sees the server. */
  readonly userId?: string;
  readonly enabled: boolean;
  readonly description?: string;
  /** Per-call timeout for this server's tools, in milliseconds. */
  readonly timeoutMs?: number;
  /** Values that must never appear in a log line (env values, header values). */
  readonly secrets: readonly string[];
  /** Tool pinning of this server; undefined: the satellite's `DEPLOYSTACK_TOOL_PINNING`. */
  readonly toolPinning?: 'warn' | 'hold';
  /** Approves the tool set with this hash (docs/operations.md "Pinned tool definitions"). */
  readonly approvedToolsHash?: string;
}

export interface StdioServerDefinition extends ServerDefinitionBase {
  readonly transport: 'stdio';
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** What it may reach over the network; undefined: the satellite's default (`DEPLOYSTACK_SANDBOX_NETWORK`). */
  readonly network?: NetworkSetting;
  /** Host paths exposed in its sandbox beyond what its command line implies. */
  readonly mounts?: readonly ExtraMount[];
}

/** A host path seen at the same path inside the sandbox. */
export interface ExtraMount {
  readonly path: string;
  readonly writable: boolean;
}

export interface HttpServerDefinition extends ServerDefinitionBase {
  /** `http`: Streamable HTTP with legacy-SSE fallback; `sse`: legacy HTTP+SSE only. */
  readonly transport: 'http' | 'sse';
  readonly url: string;
  /**
   * Every instance of an instance pool, `url` first; unset for a server of one URL. Calls are
   * balanced across the healthy ones (docs/operations.md "Instance pools").
   */
  readonly urls?: readonly string[];
  readonly headers: Readonly<Record<string, string>>;
}

export type ServerDefinition = StdioServerDefinition | HttpServerDefinition;

export const DEFAULT_TEAM = 'default';

/** A stable fingerprint: two definitions with the same fingerprint need no restart. */
export function serverFingerprint(def: ServerDefinition): string {
  return stableJson(def);
}

/**
 * The fingerprint the persisted catalog is keyed by: the definition without the pinning fields,
 * which decide what is served from a listing but not what the server lists.
 */
export function catalogFingerprint(def: ServerDefinition): string {
  const { toolPinning: _policy, approvedToolsHash: _approved, ...rest } = def;
  return createHash('sha256').update(stableJson(rest)).digest('hex');
}

/** JSON with object keys sorted at every depth. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
