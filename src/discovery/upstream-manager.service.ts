import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { ServerStatus } from '../events/event-map.js';
import { ProcessManagerService } from '../process/process-manager.service.js';
import { UpstreamUnavailableError } from './discovery.errors.js';
import { HttpUpstream } from './http-upstream.js';
import { StdioUpstream } from './stdio-upstream.js';
import { ToolCatalogService } from './tool-catalog.service.js';
import { UpstreamClientFactory } from './upstream-client.factory.js';
import type { UpstreamConnection } from './upstream-connection.js';

export type UpstreamStatus = 'connecting' | 'online' | 'error' | 'disabled';

export interface UpstreamInfo {
  readonly def: ServerDefinition;
  status: UpstreamStatus;
  lastError?: string;
  discoveredAt?: string;
  toolCount: number;
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
 */
@Injectable()
export class UpstreamManagerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(UpstreamManagerService.name);
  private readonly upstreams = new Map<string, Upstream>();
  /** Tools switched off by the backend (`update_tool_status`), per server id; kept across rediscovery. */
  private readonly disabledTools = new Map<string, Set<string>>();
  private unsubscribeProcesses?: () => void;

  constructor(
    private readonly config: SatelliteConfig,
    private readonly catalog: ToolCatalogService,
    private readonly processes: ProcessManagerService,
    private readonly clients: UpstreamClientFactory,
    private readonly events: EventBusService,
  ) {}

  onModuleInit(): void {
    // A stdio server that comes back after a crash may have changed its tools: list them again.
    this.unsubscribeProcesses = this.processes.onStateChange((info) => {
      if (info.state === 'running' && info.restarts > 0) void this.refresh(info.id);
    });
  }

  /** Connects and discovers the server's tools; resolves when done or failed (never rejects). */
  async add(def: ServerDefinition): Promise<void> {
    if (this.upstreams.has(def.id)) await this.remove(def.id);
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
    await this.discover(upstream, true);
  }

  async remove(id: string): Promise<void> {
    const upstream = this.upstreams.get(id);
    if (!upstream) return;
    this.upstreams.delete(id);
    this.catalog.removeServer(id);
    await upstream.connection
      ?.close()
      .catch((err: Error) => this.logger.warn(`closing ${upstream.def.slug}: ${err.message}`));
    this.setStatus(upstream, 'offline');
  }

  /** Runs `fn` against the server's client; a server that is not usable throws UpstreamUnavailableError. */
  async withClient<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
    const upstream = this.upstreams.get(id);
    if (!upstream?.connection) {
      throw new UpstreamUnavailableError(
        upstream?.def.slug ?? id,
        upstream ? 'the server is disabled' : 'the server is not configured',
      );
    }
    return upstream.connection.withClient(fn);
  }

  /** Re-reads the tool list (after `notifications/tools/list_changed`). */
  refresh(id: string): Promise<void> {
    const upstream = this.upstreams.get(id);
    if (!upstream?.connection) return Promise.resolve();
    upstream.refreshing ??= this.discover(upstream, false).finally(
      () => (upstream.refreshing = undefined),
    );
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
    await Promise.allSettled([...this.upstreams.keys()].map((id) => this.remove(id)));
  }

  private async discover(upstream: Upstream, connect: boolean): Promise<void> {
    const { def } = upstream;
    const started = Date.now();
    try {
      const tools = await withTimeout(
        this.config.discovery.timeoutMs,
        `discovery of ${def.slug}`,
        async () => {
          if (connect) await upstream.connection!.connect();
          this.setStatus(upstream, 'discovering_tools');
          return upstream.connection!.withClient(listAllTools);
        },
      );
      if (this.upstreams.get(def.id) !== upstream) return; // removed meanwhile
      const entries = this.publish(upstream, tools);
      upstream.status = 'online';
      upstream.lastError = undefined;
      upstream.discoveredAt = new Date().toISOString();
      this.setStatus(upstream, 'online');
      const what = connect ? 'online' : 'tools refreshed';
      this.logger.log(
        `${def.transport} server ${def.slug} ${what}: ${entries.length} tools in ${Date.now() - started} ms`,
      );
    } catch (err) {
      if (this.upstreams.get(def.id) !== upstream) return;
      upstream.status = 'error';
      upstream.lastError = (err as Error).message;
      this.setStatus(upstream, 'error', upstream.lastError);
      this.logger.warn(
        `${def.transport} server ${def.slug} failed discovery: ${upstream.lastError}`,
      );
    }
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

async function listAllTools(client: Client): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor ? { cursor } : {});
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor);
  return tools;
}

async function withTimeout<T>(ms: number, what: string, fn: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([fn(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
