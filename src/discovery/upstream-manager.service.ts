import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import { type OwnerLease, ServerOwner } from '../process/server-owner.js';
import { callScope } from './call-scope.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { UpstreamUnavailableError } from './discovery.errors.js';
import { PersistedCatalogService } from './persisted-catalog.service.js';
import { boundedStart } from './restored-call-wait.js';
import { InstancePool, type PoolView } from './instance-pool.js';
import { PoolMetrics } from './pool-metrics.js';
import { type VisibleState, visibleState } from './server-state.js';
import { StdioUpstream } from './stdio-upstream.js';
import { ToolCatalogService } from './tool-catalog.service.js';
import { prefetchJsonTokens } from './token-counter.js';
import { UpstreamClientFactory } from './upstream-client.factory.js';
import type { UpstreamConnection } from './upstream-connection.js';
import { UpstreamListing } from './upstream-listing.js';
import { emitServerStatus, type Upstream, type UpstreamInfo } from './upstream-record.js';
import { type CallTarget, callOptions } from './call-target.js';

export type { CallTarget } from './call-target.js';
export type { UpstreamInfo, UpstreamStatus } from './upstream-record.js';

export interface AddOptions {
  /** Called when the server's tools were restored from the persisted catalog (readiness). */
  readonly onRestored?: () => void;
}

/**
 * Owns one connection per upstream server and keeps the catalog in step with each server's
 * tools. Discovery of one server is bounded by a timeout and never waits on another server.
 * Adding, replacing, removing, restarting, refreshing and retrying a server are operations of
 * the ServerOwner (one at a time per server, a later add/remove supersedes an earlier start:
 * docs/process.md "Lifecycle"), so the server always ends in the state of the last one.
 */
@Injectable()
export class UpstreamManagerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamManagerService.name);
  private readonly upstreams = new Map<string, Upstream>();
  private unsubscribeProcesses?: () => void;
  private readonly listing: UpstreamListing;

  constructor(
    private readonly config: SatelliteConfig,
    private readonly catalog: ToolCatalogService,
    private readonly processes: ProcessManagerService,
    private readonly clients: UpstreamClientFactory,
    private readonly events: EventBusService,
    private readonly owner: ServerOwner,
    private readonly persisted: PersistedCatalogService,
    private readonly poolMetrics: PoolMetrics,
    private readonly clock: Clock,
  ) {
    this.listing = new UpstreamListing({
      config,
      clock,
      owner,
      processes,
      persisted,
      catalog,
      events,
      current: (id) => this.upstreams.get(id),
    });
  }

  onModuleInit(): void {
    this.poolMetrics.watch(() =>
      [...this.upstreams.values()].flatMap((u) => {
        const pool = this.poolOf(u.def.id);
        return pool ? [{ server: u.def.slug, pool }] : [];
      }),
    );
    // A stdio server that comes back after a crash may have changed its tools: list them again.
    this.unsubscribeProcesses = this.processes.onStateChange((info) => {
      if (info.state === 'running' && info.restarts > 0) void this.refresh(info.id);
    });
  }

  /** Connects and discovers the server's tools; resolves when done or failed (never rejects). */
  add(def: ServerDefinition, options: AddOptions = {}): Promise<void> {
    return this.owner.run(def.id, 'add', (lease) => this.addNow(def, lease, options));
  }

  private async addNow(
    def: ServerDefinition,
    lease: OwnerLease,
    options: AddOptions = {},
  ): Promise<void> {
    if (this.upstreams.has(def.id)) await this.removeNow(def.id);
    // Superseded while waiting: the later operation decides the state.
    if (lease.signal.aborted) return;
    if (!def.enabled) {
      this.upstreams.set(def.id, { def, status: 'disabled', toolCount: 0 });
      return;
    }
    const createClient = (): Client =>
      this.clients.create(def.id, { onToolsChanged: () => void this.refresh(def.id) });
    const connection: UpstreamConnection =
      def.transport === 'stdio'
        ? new StdioUpstream(
            def,
            this.processes,
            createClient,
            new ConcurrencyLimit(def.slug, this.config.resilience, () =>
              this.poolMetrics.hooksFor(def).onRejected('busy'),
            ),
          )
        : new InstancePool(
            def,
            this.config.resilience,
            createClient,
            this.poolMetrics.hooksFor(def),
            this.clock,
          );
    const upstream: Upstream = { def, connection, status: 'connecting', toolCount: 0 };
    this.upstreams.set(def.id, upstream);
    emitServerStatus(this.events, upstream, 'connecting');
    // The last good listing under this config is served at once, marked, until the server lists
    // its tools itself (docs/operations.md "Restart: the persisted catalog").
    const saved = this.persisted.restore(def);
    if (saved) {
      // Counted off the event loop, together with the other servers restored at the same time.
      await prefetchJsonTokens(saved);
      if (lease.signal.aborted) return;
      upstream.restored = true;
      this.listing.publish(upstream, saved, 'restored');
      options.onRestored?.();
    }
    await this.listing.discover(upstream, true, lease);
  }

  remove(id: string): Promise<void> {
    return this.owner.run(id, 'remove', () => this.removeNow(id));
  }

  /**
   * Operator restart (the backend's `restart` command): a running stdio process is restarted
   * (which also clears a permanently failed state) and its tools listed again; any other server
   * is connected and discovered anew.
   */
  restart(def: ServerDefinition): Promise<void> {
    return this.owner.run(def.id, 'restart', async (lease) => {
      if (lease.signal.aborted) return; // superseded while waiting: the later operation decides
      const upstream = this.upstreams.get(def.id);
      if (upstream?.connection && def.transport === 'stdio' && this.processes.get(def.id)) {
        await this.processes.restart(def.id);
        await this.listing.discover(upstream, false, lease);
        return;
      }
      await this.addNow(def, lease);
    });
  }

  private async removeNow(id: string): Promise<void> {
    this.listing.forget(id);
    const upstream = this.upstreams.get(id);
    if (!upstream) return;
    this.upstreams.delete(id);
    this.catalog.removeServer(id);
    this.persisted.forget(id);
    await upstream.connection
      ?.close()
      .catch((err: Error) => this.logger.warn(`closing ${upstream.def.slug}: ${err.message}`));
    emitServerStatus(this.events, upstream, 'offline');
  }

  /**
   * Runs `fn` against the server's client; a server that is not usable throws
   * UpstreamUnavailableError. Connecting, reconnecting and respawning happen outside any call
   * scope (call-scope.ts): `fn` enters its call's scope itself.
   */
  withClient<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
    return callScope.outside(() => this.withClientNow(id, fn));
  }

  /** withClient for a client's request: `call` picks the instance and says if a retry is safe. */
  withCall<T>(id: string, call: CallTarget, fn: (client: Client) => Promise<T>): Promise<T> {
    return callScope.outside(() => this.withClientNow(id, fn, call));
  }

  private async withClientNow<T>(
    id: string,
    fn: (client: Client) => Promise<T>,
    call?: CallTarget,
  ): Promise<T> {
    let upstream = this.upstreams.get(id);
    // Being added, replaced or restarted: the call waits for that, as a call to a starting
    // process does (bounded by the discovery timeout), instead of failing half-way through.
    const pending =
      !upstream || upstream.status === 'connecting' ? this.owner.pending(id) : undefined;
    if (pending) {
      await (upstream?.restored ? this.untilStarted(upstream, pending) : pending);
      upstream = this.upstreams.get(id);
    }
    if (!upstream?.connection) {
      if (!upstream) throw new UpstreamUnavailableError(id, 'the server is not configured');
      const { state, reason } = this.stateOf(upstream.def);
      throw new UpstreamUnavailableError(
        upstream.def.slug,
        `the server is ${state}${reason ? ` (${reason})` : ''}`,
        state,
      );
    }
    return upstream.connection.withClient(fn, call && callOptions(upstream.tools, call));
  }

  /** The instance pool of an HTTP/SSE server (instances, breaker, concurrency), for status views. */
  poolOf(id: string): PoolView | undefined {
    const connection = this.upstreams.get(id)?.connection;
    return connection instanceof InstancePool ? connection.view() : undefined;
  }

  private untilStarted(upstream: Upstream, pending: Promise<unknown>): Promise<unknown> {
    return boundedStart({
      pending,
      ms: this.config.catalog.callWaitMs,
      slug: upstream.def.slug,
      clock: this.clock,
    });
  }

  /** The server's visible state (server-state.ts): the status routes and call errors show it. */
  stateOf(def: ServerDefinition): VisibleState {
    const upstream = this.upstreams.get(def.id);
    const running = this.owner.current(def.id);
    return visibleState({
      def: upstream?.def ?? def,
      ...(upstream ? { upstream } : {}),
      ...(def.transport === 'stdio' ? { process: this.processes.get(def.id) } : {}),
      ...(running || this.owner.busy(def.id) ? { operation: running ?? 'queued' } : {}),
    });
  }

  /**
   * Re-reads the tool list (after `notifications/tools/list_changed`, or the periodic re-check).
   * Coalesced: a burst of notifications while a listing runs costs one more listing after it, so
   * a tool added during a listing is never missed and a burst is never one listing per notice.
   */
  refresh(id: string): Promise<void> {
    const upstream = this.upstreams.get(id);
    if (!upstream?.connection) return Promise.resolve();
    return this.listing.relist(upstream, 'refresh', false);
  }

  /**
   * The periodic re-check (`DEPLOYSTACK_TOOLS_RECHECK_INTERVAL_MS`): lists the tools of every
   * online remote server again, and of running stdio servers when `recheckStdio` is on; a dormant
   * server is never woken for it. An unchanged listing changes nothing (no re-index, no event).
   */
  async recheck(): Promise<void> {
    const due = [...this.upstreams.values()].filter(
      (u) =>
        u.status === 'online' &&
        u.connection &&
        (u.def.transport !== 'stdio' ||
          (this.config.catalog.recheckStdio && this.processes.get(u.def.id)?.state === 'running')),
    );
    await Promise.allSettled(due.map((u) => this.refresh(u.def.id)));
  }

  get(id: string): UpstreamInfo | undefined {
    return this.upstreams.get(id);
  }

  list(): UpstreamInfo[] {
    return [...this.upstreams.values()];
  }

  /**
   * Hides (or shows again) one tool of one server in the catalog, without asking the upstream;
   * the choice survives rediscovery. Returns false when the server is not configured.
   */
  setToolDisabled(id: string, toolName: string, disabled: boolean): boolean {
    const upstream = this.upstreams.get(id);
    if (!upstream) return false;
    this.listing.setDisabled(id, toolName, disabled);
    if (upstream.tools) this.listing.publish(upstream, upstream.tools, 'unchanged');
    return true;
  }

  /**
   * Approves the tools the server lists now when `toolsHash` names their set (the backend's
   * `approve_tool_changes`); the held tools are served at once. Persisted with the pins.
   */
  approveTools(id: string, toolsHash: string): { approved: boolean; currentSetHash: string } {
    const upstream = this.upstreams.get(id);
    if (!upstream?.tools) throw new Error(`server ${id} has not listed any tools yet`);
    const result = this.persisted.approve(upstream.def, upstream.tools, toolsHash);
    if (result.approved) this.listing.publish(upstream, upstream.tools, 'unchanged');
    return result;
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribeProcesses?.();
    this.listing.close();
    await Promise.allSettled([...this.upstreams.keys()].map((id) => this.remove(id)));
  }
}
