import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { untilAborted } from '../events/abort.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { type ServerDefinition, stableJson } from '../config/server-definition.js';
import { Clock } from '../events/clock.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { ServerStatus } from '../events/event-map.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import { type OwnerLease, ServerOwner } from '../process/server-owner.js';
import { callScope } from './call-scope.js';
import { ConcurrencyLimit } from './concurrency-limit.js';
import { DiscoveryRetry, type DiscoveryRetryState } from './discovery-retry.js';
import { UpstreamUnavailableError } from './discovery.errors.js';
import { PersistedCatalogService } from './persisted-catalog.service.js';
import { boundedStart } from './restored-call-wait.js';
import { InstancePool, type PoolView } from './instance-pool.js';
import { PoolMetrics } from './pool-metrics.js';
import { type VisibleState, visibleState } from './server-state.js';
import { StdioUpstream } from './stdio-upstream.js';
import { ToolCatalogService } from './tool-catalog.service.js';
import { prefetchJsonTokens } from './token-counter.js';
import { listToolsLeniently, type SkippedTool } from './tool-listing.js';
import { UpstreamClientFactory } from './upstream-client.factory.js';
import type { CallOptions, UpstreamConnection } from './upstream-connection.js';

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
  /** Its tools come from the persisted catalog; the server has not listed them since the boot. */
  restored?: boolean;
}

export interface AddOptions {
  /** Called when the server's tools were restored from the persisted catalog (readiness). */
  readonly onRestored?: () => void;
}

interface Upstream extends UpstreamInfo {
  readonly connection?: UpstreamConnection;
  refreshing?: Promise<void>;
  /** A list_changed arrived while a refresh ran: list once more when it ends. */
  refreshAgain?: boolean;
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
    private readonly persisted: PersistedCatalogService,
    private readonly poolMetrics: PoolMetrics,
    private readonly clock: Clock,
  ) {}

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
    this.setStatus(upstream, 'connecting');
    // The last good listing under this config is served at once, marked, until the server lists
    // its tools itself (docs/operations.md "Restart: the persisted catalog").
    const saved = this.persisted.restore(def);
    if (saved) {
      // Counted off the event loop, together with the other servers restored at the same time.
      await prefetchJsonTokens(saved);
      if (lease.signal.aborted) return;
      upstream.restored = true;
      this.publish(upstream, saved, 'restored');
      options.onRestored?.();
    }
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
    this.persisted.forget(id);
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
    return upstream.connection.withClient(fn, call && callOptions(upstream, call));
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
    return this.relist(upstream, 'refresh', false);
  }

  /**
   * One listing of the server at a time (a refresh or a retry); a request during it is one more
   * listing after it, while the server stays online (a failed one is retried on its own).
   */
  private relist(upstream: Upstream, op: 'refresh' | 'retry', connect: boolean): Promise<void> {
    if (upstream.refreshing) {
      upstream.refreshAgain = true;
      return upstream.refreshing;
    }
    const { id } = upstream.def;
    upstream.refreshing = this.owner
      .run(id, op, async (lease) => {
        let first = connect;
        do {
          upstream.refreshAgain = false;
          // Replaced or removed while the listing waited for its turn: nothing to list.
          if (this.upstreams.get(id) !== upstream || lease.signal.aborted) return;
          await this.discover(upstream, first, lease);
          first = false;
        } while (upstream.refreshAgain && upstream.status === 'online');
      })
      .finally(() => (upstream.refreshing = undefined));
    return upstream.refreshing;
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
    const set = this.disabledTools.get(id) ?? new Set<string>();
    if (disabled) set.add(toolName);
    else set.delete(toolName);
    if (set.size > 0) this.disabledTools.set(id, set);
    else this.disabledTools.delete(id);
    if (upstream.tools) this.publish(upstream, upstream.tools, 'unchanged');
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
    if (result.approved) this.publish(upstream, upstream.tools, 'unchanged');
    return result;
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
      // A re-read that lists the same tools changes nothing: no re-index, no event.
      const same =
        !connect &&
        !upstream.restored &&
        upstream.status === 'online' &&
        upstream.tools !== undefined &&
        stableJson(upstream.tools) === stableJson(listing.tools);
      if (same) {
        upstream.discoveredAt = new Date().toISOString();
        return;
      }
      // Token counts in a child process that does not block the event loop (the catalog then
      // finds them); the server may be superseded or removed meanwhile.
      await prefetchJsonTokens(listing.tools);
      if (lease.signal.aborted || this.upstreams.get(def.id) !== upstream) return;
      this.persisted.remember(def, listing.tools);
      upstream.restored = false;
      const entries = this.publish(upstream, listing.tools, 'listed');
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
      // A stdio process that fails is restarted by its supervisor (which lists again); one that
      // runs but could not list its tools, and every remote server, is retried here, with the
      // delay capped and the attempts not (discovery-retry.ts).
      if (def.transport !== 'stdio' || this.processes.get(def.id)?.state === 'running') {
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
    void this.relist(upstream, 'retry', upstream.def.transport !== 'stdio');
  }

  /**
   * Hands a server's tools to the catalog: pinning (`listed`: just listed, a difference is
   * reported; `restored`: from the persisted catalog; `unchanged`: the same listing again) and
   * then the tools the backend switched off take some out.
   */
  private publish(
    upstream: Upstream,
    tools: readonly Tool[],
    source: 'listed' | 'restored' | 'unchanged',
  ): readonly unknown[] {
    upstream.tools = tools;
    const served = this.persisted.review(upstream.def, tools, source === 'listed');
    const disabled = this.disabledTools.get(upstream.def.id);
    const visible = disabled ? served.filter((t) => !disabled.has(t.name)) : served;
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

/** What a call tells the upstream beside its request: who calls, and what it calls. */
export interface CallTarget {
  /** The downstream session id: its calls stay on one instance of a pool. */
  readonly affinity?: string;
  /** The JSON-RPC method sent upstream, and for `tools/call` the tool's name. */
  readonly method: string;
  readonly tool?: string;
  readonly signal?: AbortSignal;
}

/** Methods that read only: sent to another instance of a pool when the first one failed. */
const READ_ONLY_METHODS = new Set([
  'ping',
  'tools/list',
  'resources/list',
  'resources/read',
  'resources/templates/list',
  'prompts/list',
  'prompts/get',
  'completion/complete',
]);

function callOptions(upstream: Upstream, call: CallTarget): CallOptions {
  let retryable = READ_ONLY_METHODS.has(call.method);
  if (call.method === 'tools/call' && call.tool !== undefined) {
    const hints = upstream.tools?.find((t) => t.name === call.tool)?.annotations;
    retryable = hints?.readOnlyHint === true || hints?.idempotentHint === true;
  }
  return {
    retryable,
    ...(call.affinity !== undefined ? { affinity: call.affinity } : {}),
    ...(call.signal ? { signal: call.signal } : {}),
  };
}
