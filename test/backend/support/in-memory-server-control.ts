import { type DynamicModule, Module } from '@nestjs/common';
import {
  type ServerDefinition,
  serverFingerprint,
  type StdioServerDefinition,
} from '../../../src/config/server-definition.js';
import {
  type CredentialCheck,
  type ProcessState,
  SERVER_CONTROL,
  type ServerControl,
  type ServerDiff,
  type ServerProbe,
  type SpawnOutcome,
  type ToolApproval,
} from '../../../src/discovery/server-control.js';

/**
 * A small real ServerControl for tests (a fake we own, not a mock): it keeps the desired set,
 * computes the same added/removed/modified/unchanged diff, gives "processes" pids and states, and
 * records every operation it was asked to do.
 */
export class InMemoryServerControl implements ServerControl {
  readonly servers = new Map<string, ServerDefinition>();
  readonly operations: string[] = [];
  readonly disabledTools = new Set<string>();
  /** Installation ids whose probe fails and whose process state is `failed`. */
  readonly failing = new Set<string>();
  readonly credentialChecks = new Map<string, CredentialCheck>();
  /** The tool-set hash each installation lists now (what approveTools must be given). */
  readonly toolSetHashes = new Map<string, string>();
  /** Runs inside applyDesiredServers (e.g. to move a fake clock as if applying took long). */
  onApply?: () => void;
  private readonly pids = new Map<string, number>();
  private nextPid = 4000;

  applyDesiredServers(_source: 'backend', defs: readonly ServerDefinition[]): Promise<ServerDiff> {
    this.operations.push(`apply:${defs.length}`);
    this.onApply?.();
    const next = new Map(defs.map((d) => [d.id, d]));
    let added = 0;
    let modified = 0;
    let unchanged = 0;
    const removed = [...this.servers.keys()].filter((id) => !next.has(id)).length;
    for (const [id, def] of next) {
      const current = this.servers.get(id);
      if (!current) added++;
      else if (serverFingerprint(current) !== serverFingerprint(def)) modified++;
      else unchanged++;
    }
    this.servers.clear();
    for (const [id, def] of next) this.servers.set(id, def);
    return Promise.resolve({ added, removed, modified, unchanged });
  }

  restartServer(installationId: string): Promise<void> {
    this.known(installationId);
    this.operations.push(`restart:${installationId}`);
    this.pids.set(installationId, this.nextPid++);
    return Promise.resolve();
  }

  stopServer(installationId: string): Promise<void> {
    this.known(installationId);
    this.operations.push(`stop:${installationId}`);
    this.pids.delete(installationId);
    return Promise.resolve();
  }

  spawnServer(def: StdioServerDefinition): Promise<SpawnOutcome> {
    this.operations.push(`spawn:${def.id}`);
    this.servers.set(def.id, def);
    const pid = this.nextPid++;
    this.pids.set(def.id, pid);
    return Promise.resolve({ pid, startupTimeMs: 12 });
  }

  probeServers(): Promise<ServerProbe[]> {
    this.operations.push('probe');
    return Promise.resolve(
      [...this.servers.keys()].map((id) =>
        this.failing.has(id)
          ? { installationId: id, ok: false, error: 'connection refused' }
          : { installationId: id, ok: true },
      ),
    );
  }

  validateCredentials(installationId: string): Promise<CredentialCheck> {
    this.known(installationId);
    this.operations.push(`validate:${installationId}`);
    return Promise.resolve(this.credentialChecks.get(installationId) ?? { valid: true });
  }

  setToolDisabled(installationId: string, toolName: string, disabled: boolean): void {
    this.known(installationId);
    this.operations.push(`tool:${installationId}:${toolName}:${disabled}`);
    if (disabled) this.disabledTools.add(`${installationId}/${toolName}`);
    else this.disabledTools.delete(`${installationId}/${toolName}`);
  }

  approveTools(installationId: string, toolsHash: string): ToolApproval {
    this.known(installationId);
    const currentSetHash = this.toolSetHashes.get(installationId) ?? '';
    const approved = toolsHash === currentSetHash;
    if (approved) this.operations.push(`approve:${installationId}:${toolsHash}`);
    return { approved, currentSetHash };
  }

  processStates(): ProcessState[] {
    return [...this.servers.values()].map((def) => ({
      id: def.id,
      server_name: def.slug,
      status: this.failing.has(def.id)
        ? 'failed'
        : this.pids.has(def.id) || def.transport !== 'stdio'
          ? 'running'
          : 'pending',
      health_status: this.failing.has(def.id) ? 'unhealthy' : 'healthy',
    }));
  }

  private known(id: string): void {
    if (!this.servers.has(id)) throw new Error(`no installation ${id} on this satellite`);
  }
}

/** Provides SERVER_CONTROL as BackendModule.forRoot({ serverControl }) expects. */
@Module({})
export class InMemoryServerControlModule {
  static with(control: InMemoryServerControl): DynamicModule {
    return {
      module: InMemoryServerControlModule,
      providers: [{ provide: SERVER_CONTROL, useValue: control }],
      exports: [SERVER_CONTROL],
    };
  }
}
