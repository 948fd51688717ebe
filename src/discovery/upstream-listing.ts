import { Logger } from '@nestjs/common';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { SatelliteConfig } from '../config/satellite-config.js';
import { stableJson } from '../config/server-definition.js';
import { untilAborted } from '../events/abort.js';
import type { Clock } from '../events/clock.js';
import type { EventBusService } from '../events/event-bus.service.js';
import type { ProcessManagerService } from '../process/process-manager.service.js';
import type { OwnerLease, ServerOwner } from '../process/server-owner.js';
import { DiscoveryRetry } from './discovery-retry.js';
import type { PersistedCatalogService } from './persisted-catalog.service.js';
import { prefetchJsonTokens } from './token-counter.js';
import type { ToolCatalogService } from './tool-catalog.service.js';
import { listToolsLeniently } from './tool-listing.js';
import { emitServerStatus, type Upstream } from './upstream-record.js';

export interface UpstreamListingDeps {
  readonly config: SatelliteConfig;
  readonly clock: Clock;
  readonly owner: ServerOwner;
  readonly processes: ProcessManagerService;
  readonly persisted: PersistedCatalogService;
  readonly catalog: ToolCatalogService;
  readonly events: EventBusService;
  /** The manager's record of a server now: a listing of a replaced or removed one is dropped. */
  readonly current: (id: string) => Upstream | undefined;
}

/**
 * The listing half of UpstreamManagerService: lists a server's tools (discovery, a refresh, a
 * retry), one listing per server at a time, and hands them to the catalog through pinning and
 * the tools the backend switched off. Failed discoveries are retried with a capped delay
 * (discovery-retry.ts). Owned by the manager, which keeps the records and the lifecycle.
 */
export class UpstreamListing {
  private readonly logger = new Logger('UpstreamManagerService');
  /** Tools switched off by the backend (`update_tool_status`), per server id; kept across rediscovery. */
  private readonly disabled = new Map<string, Set<string>>();
  private readonly retries: DiscoveryRetry;

  constructor(private readonly deps: UpstreamListingDeps) {
    this.retries = new DiscoveryRetry(
      () => ({
        baseMs: deps.config.discovery.retryBaseMs,
        maxMs: deps.config.discovery.retryMaxMs,
      }),
      () => deps.clock,
    );
  }

  /** Switches one tool of a server off (or on again) for the next `publish`. */
  setDisabled(id: string, toolName: string, off: boolean): void {
    const set = this.disabled.get(id) ?? new Set<string>();
    if (off) set.add(toolName);
    else set.delete(toolName);
    if (set.size > 0) this.disabled.set(id, set);
    else this.disabled.delete(id);
  }

  /** The server is gone: no retry of it is due any more. */
  forget(id: string): void {
    this.retries.clear(id);
  }

  close(): void {
    this.retries.clearAll();
  }

  /**
   * One listing of the server at a time (a refresh or a retry); a request during it is one more
   * listing after it, while the server stays online (a failed one is retried on its own).
   */
  relist(upstream: Upstream, op: 'refresh' | 'retry', connect: boolean): Promise<void> {
    if (upstream.refreshing) {
      upstream.refreshAgain = true;
      return upstream.refreshing;
    }
    const { id } = upstream.def;
    upstream.refreshing = this.deps.owner
      .run(id, op, async (lease) => {
        let first = connect;
        do {
          upstream.refreshAgain = false;
          // Replaced or removed while the listing waited for its turn: nothing to list.
          if (this.deps.current(id) !== upstream || lease.signal.aborted) return;
          await this.discover(upstream, first, lease);
          first = false;
        } while (upstream.refreshAgain && upstream.status === 'online');
      })
      .finally(() => (upstream.refreshing = undefined));
    return upstream.refreshing;
  }

  async discover(upstream: Upstream, connect: boolean, lease: OwnerLease): Promise<void> {
    const { def } = upstream;
    const started = this.deps.clock.now();
    // A retry keeps reporting `error` (and its reason) until it succeeds: no event per attempt.
    const retrying = upstream.discoveryRetry !== undefined;
    try {
      // One signal for the whole discovery, passed down so that the work itself stops when it
      // is superseded or times out (docs/style.md §13), not only our wait for it.
      const timeoutMs = this.deps.config.discovery.timeoutMs;
      const timeout = this.deps.clock.timeout(timeoutMs, `discovery of ${def.slug}`);
      const signal = AbortSignal.any([lease.signal, timeout]);
      const listing = await untilAborted(
        signal,
        (async () => {
          if (connect) await upstream.connection!.connect(signal);
          if (!retrying) emitServerStatus(this.deps.events, upstream, 'discovering_tools');
          return upstream.connection!.withClient((client) =>
            listToolsLeniently(client, { signal, timeout: timeoutMs }),
          );
        })(),
      );
      if (lease.signal.aborted) return; // superseded: the next operation sets the state
      if (this.deps.current(def.id) !== upstream) return; // removed meanwhile
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
      if (lease.signal.aborted || this.deps.current(def.id) !== upstream) return;
      this.deps.persisted.remember(def, listing.tools);
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
      emitServerStatus(this.deps.events, upstream, 'online');
      const what = connect ? 'online' : 'tools refreshed';
      this.logger.log(
        `${def.transport} server ${def.slug} ${what}: ${entries.length} tools in ${this.deps.clock.now() - started} ms`,
      );
    } catch (err) {
      // Superseded (a later add/remove of this server): that operation sets the state and reason.
      if (lease.signal.aborted) return;
      if (this.deps.current(def.id) !== upstream) return;
      const message = (err as Error).message;
      const unchanged = retrying && upstream.lastError === message;
      upstream.status = 'error';
      upstream.lastError = message;
      if (!unchanged) emitServerStatus(this.deps.events, upstream, 'error', message);
      // A stdio process that fails is restarted by its supervisor (which lists again); one that
      // runs but could not list its tools, and every remote server, is retried here, with the
      // delay capped and the attempts not (discovery-retry.ts).
      if (def.transport !== 'stdio' || this.deps.processes.get(def.id)?.state === 'running') {
        upstream.discoveryRetry = this.retries.failed(def.id, message, () =>
          this.retryDiscovery(upstream),
        );
      }
      const next = upstream.discoveryRetry;
      const retry = next
        ? `; failed attempts: ${next.failures}, next in ${Math.round((Date.parse(next.nextRetryAt) - this.deps.clock.now()) / 100) / 10} s`
        : '';
      this.logger.warn(`${def.transport} server ${def.slug} failed discovery: ${message}${retry}`);
    }
  }

  /** A retry timer fired: discover again unless the server went away or is being re-read. */
  private retryDiscovery(upstream: Upstream): void {
    if (this.deps.current(upstream.def.id) !== upstream) return;
    void this.relist(upstream, 'retry', upstream.def.transport !== 'stdio');
  }

  /**
   * Hands a server's tools to the catalog: pinning (`listed`: just listed, a difference is
   * reported; `restored`: from the persisted catalog; `unchanged`: the same listing again) and
   * then the tools the backend switched off take some out.
   */
  publish(
    upstream: Upstream,
    tools: readonly Tool[],
    source: 'listed' | 'restored' | 'unchanged',
  ): readonly unknown[] {
    upstream.tools = tools;
    const served = this.deps.persisted.review(upstream.def, tools, source === 'listed');
    const disabled = this.disabled.get(upstream.def.id);
    const visible = disabled ? served.filter((t) => !disabled.has(t.name)) : served;
    const entries = this.deps.catalog.setServerTools(upstream.def, visible);
    upstream.toolCount = entries.length;
    return entries;
  }
}
