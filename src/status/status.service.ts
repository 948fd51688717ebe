import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import { ServerRegistryService } from '../discovery/server-registry.service.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import { BackendStatusService } from './backend-status.service.js';
import { StatusContributors } from './status-contributors.service.js';

const started = Date.now();

/** Read-only views of the other modules for the status routes. */
@Injectable()
export class StatusService {
  constructor(
    private readonly config: SatelliteConfig,
    private readonly registry: ServerRegistryService,
    private readonly upstreams: UpstreamManagerService,
    private readonly catalog: ToolCatalogService,
    private readonly processes: ProcessManagerService,
    private readonly contributors: StatusContributors,
    private readonly backend: BackendStatusService,
  ) {}

  ready(): { ready: boolean; reason?: string } {
    if (this.contributors.isShuttingDown()) return { ready: false, reason: 'shutting down' };
    if (!this.backend.backendReachedOnce())
      return { ready: false, reason: 'the backend has not been reached yet' };
    if (!this.registry.isApplied())
      return { ready: false, reason: 'configuration not applied yet' };
    return { ready: true };
  }

  summary() {
    const servers = this.upstreams.list();
    return {
      service: 'deploystack-satellite',
      status: this.contributors.isShuttingDown()
        ? 'shutting_down'
        : this.registry.isApplied()
          ? 'ok'
          : 'starting',
      version: this.config.version,
      mode: this.backend.mode,
      uptime_seconds: Math.round((Date.now() - started) / 1000),
      servers: {
        total: servers.length,
        online: servers.filter((s) => s.status === 'online').length,
        error: servers.filter((s) => s.status === 'error').length,
      },
      tools: this.catalog.size(),
      ...(this.backend.mode === 'managed' ? { backend: this.backend.report() } : {}),
      ...this.contributors.read(),
    };
  }

  /** Servers and tools grouped by team and transport, with status, process state and limits. */
  debug() {
    const teams: Record<string, Record<string, unknown[]>> = {};
    for (const info of this.upstreams.list()) {
      const { def } = info;
      const byTransport = (teams[def.team] ??= {});
      const process = def.transport === 'stdio' ? this.processes.get(def.id) : undefined;
      (byTransport[def.transport] ??= []).push({
        id: def.id,
        slug: def.slug,
        ...(def.userId ? { user_id: def.userId } : {}),
        status: info.status,
        ...(info.lastError ? { last_error: info.lastError } : {}),
        discovered_at: info.discoveredAt ?? null,
        ...(def.transport === 'stdio'
          ? { command: def.command, process: process ?? null }
          : { url: redactUrl(def.url) }),
        tools: this.catalog.serverTools(def.id).map((e) => e.path),
        // Token accounting (docs/search.md "Tokens"): what each tool definition costs an agent.
        total_tokens: this.catalog.serverTokens(def.id),
        tool_tokens: Object.fromEntries(
          this.catalog.serverTools(def.id).map((e) => [e.path, e.tokenCount]),
        ),
        collisions: this.catalog.collisionsOf(def.id),
      });
    }
    return {
      ...this.summary(),
      sandbox: this.processes.sandboxReport(),
      configured_servers: this.registry.definitions().length,
      teams,
    };
  }
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  if (u.search) u.search = '?…';
  return u.toString();
}
