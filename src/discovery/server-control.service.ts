import { Injectable } from '@nestjs/common';
import type { ServerDefinition, StdioServerDefinition } from '../config/server-definition.js';
import type { ProcessInfo } from '../process/process-info.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import type {
  CredentialCheck,
  ProcessState,
  ServerControl,
  ServerDiff,
  ServerProbe,
  SpawnOutcome,
  ToolApproval,
} from './server-control.js';
import { ServerRegistryService } from './server-registry.service.js';
import { listToolsLeniently } from './tool-listing.js';
import { poolHealth } from './pool-health.js';
import { type UpstreamInfo, UpstreamManagerService } from './upstream-manager.service.js';

/** How long one probe (health check, credential check) may take. */
const PROBE_TIMEOUT_MS = 10_000;

/**
 * The backend's commands, carried out on the real servers: the registry for the desired set, the
 * upstream manager for connections and tools, the process manager for stdio processes.
 */
@Injectable()
export class ServerControlService implements ServerControl {
  constructor(
    private readonly registry: ServerRegistryService,
    private readonly upstreams: UpstreamManagerService,
    private readonly processes: ProcessManagerService,
  ) {}

  applyDesiredServers(
    source: 'backend',
    servers: readonly ServerDefinition[],
  ): Promise<ServerDiff> {
    return this.registry.apply(source, servers);
  }

  async restartServer(installationId: string): Promise<void> {
    const def = this.known(installationId);
    // One owned operation (it waits for, or supersedes, nothing else of this server's life): a
    // running stdio process is restarted (also clearing a permanently failed state) and its tools
    // listed again; anything else is connected anew.
    await this.upstreams.restart(def);
  }

  async stopServer(installationId: string): Promise<void> {
    this.known(installationId);
    await this.registry.stop(installationId);
  }

  async spawnServer(def: StdioServerDefinition): Promise<SpawnOutcome> {
    const started = Date.now();
    await this.registry.upsert('backend', def);
    const upstream = this.upstreams.get(def.id);
    if (upstream?.status === 'error') {
      throw new Error(`server ${def.slug} did not start: ${upstream.lastError ?? 'unknown error'}`);
    }
    const pid = this.processes.get(def.id)?.pid;
    return { ...(pid !== undefined ? { pid } : {}), startupTimeMs: Date.now() - started };
  }

  async probeServers(): Promise<ServerProbe[]> {
    const enabled = this.upstreams.list().filter((u) => u.status !== 'disabled');
    return Promise.all(
      enabled.map(async (u): Promise<ServerProbe> => {
        // A parked stdio server is healthy by design; probing would respawn it.
        if (this.processes.get(u.def.id)?.state === 'dormant') {
          return { installationId: u.def.id, ok: true };
        }
        try {
          await this.upstreams.withClient(u.def.id, (client) =>
            client.ping({ timeout: PROBE_TIMEOUT_MS }),
          );
          return { installationId: u.def.id, ok: true };
        } catch (err) {
          return { installationId: u.def.id, ok: false, error: (err as Error).message };
        }
      }),
    );
  }

  async validateCredentials(installationId: string): Promise<CredentialCheck> {
    this.known(installationId);
    try {
      // Leniently: one odd tool definition says nothing about the credentials.
      await this.upstreams.withClient(installationId, (client) =>
        listToolsLeniently(client, { timeout: PROBE_TIMEOUT_MS }),
      );
      return { valid: true };
    } catch (err) {
      const message = (err as Error).message;
      return {
        valid: false,
        error: message,
        needsReauth: /\b(401|403)\b|unauthori[sz]ed|forbidden|invalid[_ ]token/i.test(message),
      };
    }
  }

  setToolDisabled(installationId: string, toolName: string, disabled: boolean): void {
    this.known(installationId);
    this.upstreams.setToolDisabled(installationId, toolName, disabled);
  }

  approveTools(installationId: string, toolsHash: string): ToolApproval {
    this.known(installationId);
    return this.upstreams.approveTools(installationId, toolsHash);
  }

  processStates(): ProcessState[] {
    return this.upstreams.list().map((u) => {
      const process = u.def.transport === 'stdio' ? this.processes.get(u.def.id) : undefined;
      return {
        id: u.def.id,
        server_name: u.def.slug,
        ...poolHealth(stateOf(u, process), this.upstreams.poolOf(u.def.id)),
      };
    });
  }

  private known(installationId: string): ServerDefinition {
    const def = this.registry.get(installationId);
    if (!def) throw new Error(`no server instance with installation id "${installationId}"`);
    return def;
  }
}

/** The heartbeat's status pair for one instance (the original satellite's vocabulary). */
function stateOf(
  upstream: UpstreamInfo,
  process: ProcessInfo | undefined,
): Pick<ProcessState, 'status' | 'health_status'> {
  if (upstream.status === 'disabled') return { status: 'stopped', health_status: 'unknown' };
  if (process) {
    switch (process.state) {
      case 'starting':
      case 'installing':
      case 'restarting':
        return { status: 'starting', health_status: 'unknown' };
      case 'running':
        return {
          status: 'running',
          // An unanswered ping (process-health.ts) is `unhealthy` in the contract's vocabulary.
          health_status:
            upstream.status === 'error' || process.health?.verdict === 'unresponsive'
              ? 'unhealthy'
              : 'healthy',
        };
      case 'dormant':
        // Parked on purpose: it respawns on the next call.
        return { status: 'stopped', health_status: 'healthy' };
      case 'crashed':
        return { status: 'starting', health_status: 'unhealthy' };
      case 'permanently_failed':
        return { status: 'failed', health_status: 'unhealthy' };
      case 'terminated':
        return { status: 'stopped', health_status: 'unknown' };
    }
  }
  switch (upstream.status) {
    case 'connecting':
      return { status: 'starting', health_status: 'unknown' };
    case 'online':
      return { status: 'running', health_status: 'healthy' };
    case 'error':
      return { status: 'failed', health_status: 'unhealthy' };
  }
}
