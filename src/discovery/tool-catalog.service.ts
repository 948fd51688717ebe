import { Injectable, Logger } from '@nestjs/common';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import type { CatalogEntry, CatalogListener } from './catalog-entry.js';
import { countJsonTokensOfEach } from './token-counter.js';

export interface Collision {
  readonly path: string;
  readonly keptServerId: string;
  readonly droppedServerId: string;
}

/**
 * The unified tool catalog. Paths are resolved by exact lookup (slugs and tool names may both
 * contain '-', so a path is never split on a hyphen). Two tools with the same path: the first
 * one registered is kept, the second reported (docs/protocol.md "Tool path").
 */
@Injectable()
export class ToolCatalogService {
  private readonly logger = new Logger(ToolCatalogService.name);
  private readonly byPath = new Map<string, CatalogEntry>();
  private readonly byServer = new Map<string, CatalogEntry[]>();
  private readonly collisions = new Map<string, Collision[]>();
  private readonly listeners = new Set<CatalogListener>();

  constructor(private readonly events: EventBusService) {}

  static pathOf(slug: string, toolName: string): string {
    return `${slug}-${toolName}`;
  }

  /** Replaces the tools of one server (an update from tools/list or list_changed). */
  setServerTools(def: ServerDefinition, tools: readonly Tool[]): readonly CatalogEntry[] {
    this.dropServer(def.id);
    const kept: CatalogEntry[] = [];
    const collisions: Collision[] = [];
    // One round trip to the token counter for the whole listing.
    const tokenCounts = countJsonTokensOfEach(tools);
    for (const [i, tool] of tools.entries()) {
      const path = ToolCatalogService.pathOf(def.slug, tool.name);
      const existing = this.byPath.get(path);
      if (existing) {
        collisions.push({ path, keptServerId: existing.serverId, droppedServerId: def.id });
        this.logger.warn(
          `tool path collision: ${path} from server ${def.id} dropped, ${existing.serverId} keeps it`,
        );
        this.events.emit('mcp.tools.collision', {
          tool_path: path,
          kept_server: existing.serverId,
          dropped_server: def.id,
          team_id: def.team,
        });
        continue;
      }
      const entry: CatalogEntry = {
        path,
        serverId: def.id,
        serverSlug: def.slug,
        ...(def.description ? { serverDescription: def.description } : {}),
        team: def.team,
        ...(def.userId ? { userId: def.userId } : {}),
        transport: def.transport,
        tool,
        tokenCount: tokenCounts[i],
      };
      this.byPath.set(path, entry);
      kept.push(entry);
    }
    this.byServer.set(def.id, kept);
    if (collisions.length > 0) this.collisions.set(def.id, collisions);
    this.notify(def.id, kept);
    this.reportDiscovered(def, kept);
    return kept;
  }

  removeServer(serverId: string): void {
    if (!this.byServer.has(serverId)) return;
    this.dropServer(serverId);
    this.notify(serverId, undefined);
  }

  get(path: string): CatalogEntry | undefined {
    return this.byPath.get(path);
  }

  serverTools(serverId: string): readonly CatalogEntry[] {
    return this.byServer.get(serverId) ?? [];
  }

  all(): IterableIterator<CatalogEntry> {
    return this.byPath.values();
  }

  size(): number {
    return this.byPath.size;
  }

  collisionsOf(serverId: string): readonly Collision[] {
    return this.collisions.get(serverId) ?? [];
  }

  /** Listeners see every change; returns an unsubscribe function. */
  subscribe(listener: CatalogListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Tokens of one server's tool definitions: what listing them all would cost an agent. */
  serverTokens(serverId: string): number {
    return this.serverTools(serverId).reduce((sum, e) => sum + e.tokenCount, 0);
  }

  /**
   * `mcp.tools.discovered` (docs/backend-contract.md "Key payloads"): the tools of one server with
   * each one's token count. In standalone mode the slug is the installation's name.
   */
  private reportDiscovered(def: ServerDefinition, kept: readonly CatalogEntry[]): void {
    this.events.emit('mcp.tools.discovered', {
      installation_id: def.id,
      installation_name: def.name ?? def.slug,
      team_id: def.team,
      server_slug: def.slug,
      tool_count: kept.length,
      total_tokens: kept.reduce((sum, e) => sum + e.tokenCount, 0),
      tools: kept.map((e) => ({
        tool_name: e.tool.name,
        description: e.tool.description ?? '',
        input_schema: e.tool.inputSchema,
        token_count: e.tokenCount,
      })),
      discovered_at: new Date().toISOString(),
    });
  }

  private dropServer(serverId: string): void {
    for (const entry of this.byServer.get(serverId) ?? []) this.byPath.delete(entry.path);
    this.byServer.delete(serverId);
    this.collisions.delete(serverId);
  }

  private notify(serverId: string, entries: readonly CatalogEntry[] | undefined): void {
    for (const listener of this.listeners) {
      try {
        listener(serverId, entries);
      } catch (err) {
        this.logger.error(`catalog listener failed: ${(err as Error).message}`);
      }
    }
  }
}
