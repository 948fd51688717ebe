import { Injectable } from '@nestjs/common';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { PersistedCatalogService } from '../discovery/persisted-catalog.service.js';
import { ServerRegistryService } from '../discovery/server-registry.service.js';
import { SERVER_STATES, type ServerState } from '../discovery/server-state.js';
import { ToolCatalogService } from '../discovery/tool-catalog.service.js';
import { UpstreamManagerService } from '../discovery/upstream-manager.service.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import { ANONYMOUS_CALLER, type CallerContext, canUse } from '../router/caller-context.js';
import { BackendStatusService } from './backend-status.service.js';
import { RecentErrorsService } from './recent-errors.service.js';
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
    private readonly persisted: PersistedCatalogService,
    private readonly recentErrors: RecentErrorsService,
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
    // Every configured server, each in one visible state (server-state.ts), with no exception.
    const states = this.configured().map((def) => this.upstreams.stateOf(def).state);
    const count = Object.fromEntries(SERVER_STATES.map((s) => [s, 0])) as Record<
      ServerState,
      number
    >;
    for (const state of states) count[state]++;
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
      servers: { total: states.length, ...count },
      tools: this.catalog.size(),
      ...(this.backend.mode === 'managed' ? { backend: this.backend.report() } : {}),
      ...this.contributors.read(),
    };
  }

  /** Servers and tools grouped by team and transport, with status, process state and limits. */
  debug(caller: CallerContext = ANONYMOUS_CALLER) {
    const teams: Record<string, Record<string, unknown[]>> = {};
    const shown = new Set<string>();
    for (const configured of this.configured()) {
      // A configured server without an upstream entry yet (its start is queued) is listed too.
      const info = this.upstreams.get(configured.id) ?? {
        def: configured,
        status: 'connecting' as const,
        toolCount: 0,
      };
      const { def } = info;
      if (!canUse(caller, def)) continue;
      shown.add(def.slug);
      const byTransport = (teams[def.team] ??= {});
      const process = def.transport === 'stdio' ? this.processes.get(def.id) : undefined;
      const visible = this.upstreams.stateOf(def);
      (byTransport[def.transport] ??= []).push({
        id: def.id,
        slug: def.slug,
        ...(def.userId ? { user_id: def.userId } : {}),
        // online | starting | installing | dormant | error | disabled, with the reason.
        state: visible.state,
        ...(visible.reason ? { state_reason: visible.reason } : {}),
        status: info.status,
        ...(info.lastError ? { last_error: info.lastError } : {}),
        discovered_at: info.discoveredAt ?? null,
        ...(def.transport === 'stdio'
          ? { command: def.command, process: process ?? null }
          : { url: redactUrl(def.url), ...this.poolFields(def.id) }),
        tools: this.catalog.serverTools(def.id).map((e) => e.path),
        // Token accounting (docs/search.md "Tokens"): what each tool definition costs an agent.
        total_tokens: this.catalog.serverTokens(def.id),
        tool_tokens: Object.fromEntries(
          this.catalog.serverTools(def.id).map((e) => [e.path, e.tokenCount]),
        ),
        collisions: this.catalog.collisionsOf(def.id),
        // Tools the upstream listed that were invalid even without their nulls (tool-listing.ts).
        skipped_tools: info.skippedTools ?? [],
        ...(info.discoveryRetry
          ? {
              discovery_retry: {
                failed_attempts: info.discoveryRetry.failures,
                next_retry_at: info.discoveryRetry.nextRetryAt,
                next_retry_in_ms: Math.max(
                  0,
                  Date.parse(info.discoveryRetry.nextRetryAt) - Date.now(),
                ),
                last_error: info.discoveryRetry.lastError,
              },
            }
          : {}),
        // Tool pinning (docs/operations.md "Pinned tool definitions"): policy, hashes, and per
        // tool what changed, was added or removed since the pins, and since when.
        ...this.pinningOf(def.id, info.restored === true),
      });
    }
    return {
      ...this.summary(),
      sandbox: this.processes.sandboxReport(),
      configured_servers: this.registry.definitions().length,
      teams,
      // Newest first; only of the caller's servers (and, without a server, config errors).
      recent_errors: this.recentErrors
        .list()
        .filter((e) => e.server === undefined || shown.has(e.server)),
    };
  }

  private pinningOf(id: string, restored: boolean) {
    const pinning = this.persisted.stateOf(id);
    return {
      ...(restored ? { tools_restored: true } : {}),
      ...(pinning ? { pinning, tools_changed: pinning.changes.length > 0 } : {}),
    };
  }

  /** An HTTP/SSE server's instances and breaker (docs/operations.md "Instance pools"). */
  private poolFields(id: string) {
    const pool = this.upstreams.poolOf(id);
    if (!pool) return {};
    return {
      instances: pool.instances.map((i) => ({ ...i, url: redactUrl(i.url) })),
      breaker: { ...pool.breaker, ...pool.concurrency, ...pool.totals },
    };
  }

  /** The configured servers (the registry's desired set): each has a visible state. */
  private configured(): ServerDefinition[] {
    return this.registry.definitions();
  }
}

function redactUrl(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  if (u.search) u.search = '?…';
  return u.toString();
}
