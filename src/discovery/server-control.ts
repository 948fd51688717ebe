import type { ServerDefinition, StdioServerDefinition } from '../config/server-definition.js';

export interface ServerDiff {
  readonly added: number;
  readonly removed: number;
  readonly modified: number;
  readonly unchanged: number;
}

/** One server instance as the heartbeat reports it (the original satellite's values). */
export interface ProcessState {
  /** The installation id. */
  readonly id: string;
  readonly server_name: string;
  readonly status: 'pending' | 'starting' | 'running' | 'stopping' | 'stopped' | 'failed';
  readonly health_status: 'healthy' | 'unhealthy' | 'unknown';
}

export interface ServerProbe {
  readonly installationId: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface CredentialCheck {
  readonly valid: boolean;
  readonly error?: string;
  /** The upstream refused the credentials in a way a user must fix by signing in again. */
  readonly needsReauth?: boolean;
}

export interface SpawnOutcome {
  readonly pid?: number;
  readonly startupTimeMs: number;
}

/**
 * What the backend's commands need from the servers. Declared here, in the discovery module that
 * implements it (ServerControlService), so the backend depends on discovery and not the reverse
 * (docs/architecture.md "Dependencies": `backend → discovery`). Methods that take an installation
 * id reject with an Error whose message names the problem when the id is unknown: that message is
 * what the backend sees.
 */
export interface ServerControl {
  /** The full desired set from the backend; the same differential update as the config file. */
  applyDesiredServers(source: 'backend', servers: readonly ServerDefinition[]): Promise<ServerDiff>;
  restartServer(installationId: string): Promise<void>;
  stopServer(installationId: string): Promise<void>;
  spawnServer(def: StdioServerDefinition): Promise<SpawnOutcome>;
  /** Connects to / lists tools of every upstream; one failing server never blocks the others. */
  probeServers(): Promise<ServerProbe[]>;
  /** Tries `tools/list` with the configured credentials of one installation. */
  validateCredentials(installationId: string): Promise<CredentialCheck>;
  setToolDisabled(installationId: string, toolName: string, disabled: boolean): void;
  /**
   * Pins the tools the installation lists now when `toolsHash` is their set's hash (the
   * satellite-side `approve_tool_changes` command); otherwise approves nothing.
   */
  approveTools(installationId: string, toolsHash: string): ToolApproval;
  processStates(): ProcessState[];
}

/** The answer to an approval of a server's tool set (docs/operations.md "Pinned tool definitions"). */
export interface ToolApproval {
  readonly approved: boolean;
  /** The hash of the tool set the server lists now (what an approval must name). */
  readonly currentSetHash: string;
}

export const SERVER_CONTROL = Symbol('SERVER_CONTROL');
