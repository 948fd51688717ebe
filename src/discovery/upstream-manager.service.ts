import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { ServerStatus } from '../events/event-map.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import { type OwnerLease, ServerOwner } from '../process/server-owner.js';
import { callScope } from './call-scope.js';
import { DiscoveryRetry, type DiscoveryRetryState } from './discovery-retry.js';
import { UpstreamUnavailableError } from './discovery.errors.js';
import { HttpUpstream } from './http-upstream.js';
import { type VisibleState, visibleState } from './server-state.js';
import { StdioUpstream } from './stdio-upstream.js';
import { ToolCatalogService } from './tool-catalog.service.js';
import { listToolsLeniently, type SkippedTool } from './tool-listing.js';
import { UpstreamClientFactory } from './upstream-client.factory.js';
import type { UpstreamConnection } from './upstream-connection.js';

export type UpstreamStatus = 'connecting' | 'online' | 'error' | 'disabled';

export interface UpstreamInfo {
  readonly def: ServerDefinition;
  status: UpstreamStatus;
  lastError?: string;
  discoveredAt?: string;
  toolCount: number;
  /** Tools of the last tools/list that were invalid even without their `null`s (tool-listing.ts). */
  skippedTools?: readonly SkippedTool[];
  /** Set while a remote server that failed discovery waits for its next attempt (discovery-retry.ts). */
  discoveryRetry?: DiscoveryRetryState;
}

interface Upstream extends UpstreamInfo {
  readonly connection?: UpstreamConnection;
  refreshing?: Promise<void>;
  /** The upstream's own tool list, before disabled tools are taken out. */
  tools?: readonly Tool[];
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
  /** Tools switched off by the backend (`update_tool_status`), per server id; kept across rediscovery. */
  private readonly disabledTools = new Map<string, Set<string>>();
  private unsubscribeProcesses?: () => void;
  private readonly retries = new DiscoveryRetry(
    () => ({
      baseMs: this.config.discovery.retryBaseMs,
      maxMs: this.config.discovery.retryMaxMs,
    }),
    () => this.clock,
  );

  constructor(
    private readonly config: SatelliteConfig,
    private readonly catalog: ToolCatalogService,
    private readonly processes: ProcessManagerService,
    private readonly clients: UpstreamClientFactory,
    private readonly events: EventBusService,
    private readonly owner: ServerOwner,
    private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    // A stdio server that comes back after a crash may have changed its tools: list them again.
    this.unsubscribeProcesses = this.processes.onStateChange((info) => {
      if (info.state === 'running' && info.restarts > 0) void this.refresh(info.id);
    });
  }

  /** Connects and discovers the server's tools; resolves when done or failed (never rejects). */
  add(def: ServerDefinition): Promise<void> {
    return this.owner.run(def.id, 'add', (lease) => this.addNow(def, lease));
  }

  private async addNow(def: ServerDefinition, lease: OwnerLease): Promise<void> {
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
        ? new StdioUpstream(def, this.processes, createClient)
        : new HttpUpstream(def, createClient);
    const upstream: Upstream = { def, connection, status: 'connecting', toolCount: 0 };
    this.upstreams.set(def.id, upstream);
    this.setStatus(upstream, 'connecting');
    await this.discover(upstream, true, lease);
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
        await this.discover(upstream, false, lease);
        return;
      }
      await this.addNow(def, lease);
    });
  }

  private async removeNow(id: string): Promise<void> {
    this.retries.clear(id);
    const upstream = this.upstreams.get(id);
    if (!upstream) return;
    this.upstreams.delete(id);
    this.catalog.removeServer(id);
    await upstream.connection
      ?.close()
      .catch((err: Error) => this.logger.warn(`closing ${upstream.def.slug}: ${err.message}`));
    this.setStatus(upstream, 'offline');
  }

  /**
   * Runs `fn` against the server's client; a server that is not usable throws
   * UpstreamUnavailableError. Connecting, reconnecting and respawning happen outside any call
   * scope (call-scope.ts): `fn` enters its call's scope itself.
   */
  withClient<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
    return callScope.outside(() => this.withClientNow(id, fn));
  }

  private async withClientNow<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
    let upstream = this.upstreams.get(id);
    // Being added, replaced or restarted: the call waits for that, as a call to a starting
    // process does (bounded by the discovery timeout), instead of failing half-way through.
    const pending =
      !upstream || upstream.status === 'connecting' ? this.owner.pending(id) : undefined;
    if (pending) {
      await pending;
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
    return upstream.connection.withClient(fn);
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

  /** Re-reads the tool list (after `notifications/tools/list_changed`). */
  refresh(id: string): Promise<void> {
    const upstream = this.upstreams.get(id);
    if (!upstream?.connection) return Promise.resolve();
    upstream.refreshing ??= this.owner
      .run(id, 'refresh', async (lease) => {
        // Replaced or removed while the refresh waited for its turn: nothing to list.
        if (this.upstreams.get(id) === upstream) await this.discover(upstream, false, lease);
      })
      .finally(() => (upstream.refreshing = undefined));
    return upstream.refreshing;
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
    const set = this.disabledTools.get(id) ?? new Set<string>();
    if (disabled) set.add(toolName);
    else set.delete(toolName);
    if (set.size > 0) this.disabledTools.set(id, set);
    else this.disabledTools.delete(id);
    if (upstream.tools) this.publish(upstream, upstream.tools);
    return true;
  }

  async onApplicationShutdown(): Promise<void> {
    this.unsubscribeProcesses?.();
    this.retries.clearAll();
    await Promise.allSettled([...this.upstreams.keys()].map((id) => this.remove(id)));
  }

  private async discover(upstream: Upstream, connect: boolean, lease: OwnerLease): Promise<void> {
    const { def } = upstream;
    const started = this.clock.now();
    // A retry keeps reporting `error` (and its reason) until it succeeds: no event per attempt.
    const retrying = upstream.discoveryRetry !== undefined;
    try {
      // One signal for the whole discovery, passed down so that the work itself stops when it
      // is superseded or times out (docs/style.md §13), not only our wait for it.
      const timeoutMs = this.config.discovery.timeoutMs;
      const timeout = this.clock.timeout(timeoutMs, `discovery of ${def.slug}`);
      const signal = AbortSignal.any([lease.signal, timeout]);
      const listing = await untilAborted(
        signal,
        (async () => {
          if (connect) await upstream.connection!.connect(signal);
          if (!retrying) this.setStatus(upstream, 'discovering_tools');
          return upstream.connection!.withClient((client) =>
            listToolsLeniently(client, { signal, timeout: timeoutMs }),
          );
        })(),
      );
      if (lease.signal.aborted) return; // superseded: the next operation sets the state
      if (this.upstreams.get(def.id) !== upstream) return; // removed meanwhile
      const entries = this.publish(upstream, listing.tools);
      upstream.skippedTools = listing.skipped;
      for (const t of listing.skipped) {
        this.logger.warn(
          `${def.transport} server ${def.slug}: tool #${t.index}${t.name !== undefined ? ` "${t.name}"` : ''} skipped, invalid: ${t.reason}`,
        );
      }
      this.retries.clear(def.id);
      upstream.discoveryRetry = undefined;
      upstream.status = 'online';
      upstream.lastError = undefined;
      upstream.discoveredAt = new Date().toISOString();
      this.setStatus(upstream, 'online');
      const what = connect ? 'online' : 'tools refreshed';
      this.logger.log(
        `${def.transport} server ${def.slug} ${what}: ${entries.length} tools in ${this.clock.now() - started} ms`,
      );
    } catch (err) {
      // Superseded (a later add/remove of this server): that operation sets the state and reason.
      if (lease.signal.aborted) return;
      if (this.upstreams.get(def.id) !== upstream) return;
      const message = (err as Error).message;
      const unchanged = retrying && upstream.lastError === message;
      upstream.status = 'error';
      upstream.lastError = message;
      if (!unchanged) this.setStatus(upstream, 'error', message);
      // stdio servers are respawned by their supervisor; nothing else retries a remote one.
      if (def.transport !== 'stdio') {
        upstream.discoveryRetry = this.retries.failed(def.id, message, () =>
          this.retryDiscovery(upstream),
        );
      }
      const next = upstream.discoveryRetry;
      const retry = next
        ? `; failed attempts: ${next.failures}, next in ${Math.round((Date.parse(next.nextRetryAt) - this.clock.now()) / 100) / 10} s`
        : '';
      this.logger.warn(`${def.transport} server ${def.slug} failed discovery: ${message}${retry}`);
    }
  }

  /** A retry timer fired: discover again unless the server went away or is being re-read. */
  private retryDiscovery(upstream: Upstream): void {
    if (this.upstreams.get(upstream.def.id) !== upstream) return;
    upstream.refreshing ??= this.owner
      .run(upstream.def.id, 'retry', async (lease) => {
        if (this.upstreams.get(upstream.def.id) === upstream)
          await this.discover(upstream, true, lease);
      })
      .finally(() => (upstream.refreshing = undefined));
  }

  private publish(upstream: Upstream, tools: readonly Tool[]): readonly unknown[] {
    upstream.tools = tools;
    const disabled = this.disabledTools.get(upstream.def.id);
    const visible = disabled ? tools.filter((t) => !disabled.has(t.name)) : tools;
    const entries = this.catalog.setServerTools(upstream.def, visible);
    upstream.toolCount = entries.length;
    return entries;
  }

  private setStatus(
    upstream: Upstream,
    status: ServerStatus | 'connecting',
    message?: string,
  ): void {
    this.events.emit('mcp.server.status_changed', {
      installation_id: upstream.def.id,
      team_id: upstream.def.team,
      ...(upstream.def.userId ? { user_id: upstream.def.userId } : {}),
      status,
      ...(message ? { status_message: message } : {}),
      timestamp: new Date().toISOString(),
    });
  }
}

/** `work`, or a rejection as soon as `signal` aborts (the work itself is stopped by its owner). */
function untilAborted<T>(signal: AbortSignal, work: Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
