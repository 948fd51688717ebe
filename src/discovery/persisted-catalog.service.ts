import { join } from 'node:path';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import { catalogFingerprint, type ServerDefinition } from '../config/server-definition.js';
import { EventBusService } from '../events/event-bus.service.js';
import { CATALOG_FILE, CatalogStore, type StoredPins } from './catalog.store.js';
import {
  diffAgainstPins,
  pinOf,
  type ToolChange,
  type ToolPinningPolicy,
  toolSetHash,
} from './tool-pinning.js';

/** What the debug route shows of one server's pins (`pinning` on its entry). */
export interface PinningState {
  readonly policy: ToolPinningPolicy;
  readonly pinned_at: string;
  readonly pinned_set_hash: string;
  /** The hash to put in `approvedToolsHash` to approve what the server lists now. */
  readonly current_set_hash: string;
  readonly changes: readonly ToolChange[];
  /** Kept out of discover and execute (`hold` only): the changed and added tools. */
  readonly held_tools: readonly string[];
}

/**
 * The persisted catalog and the tool pins (docs/operations.md "Restart: the persisted catalog",
 * "Pinned tool definitions"). The last good listing of each server is stored under the server's
 * id with the fingerprint of its config (catalogFingerprint) and restored only for the same
 * fingerprint. Each tool's definition is pinned the first time it is seen (trust on first use);
 * a listing that differs is reported once per distinct tool set (`mcp.tools.changed`) and, under
 * `hold`, its changed and added tools are not served until `approvedToolsHash` names its set.
 */
@Injectable()
export class PersistedCatalogService implements OnApplicationShutdown {
  private readonly logger = new Logger(PersistedCatalogService.name);
  private store?: CatalogStore;
  /** Opening failed once (logged once): the satellite runs on without restoring or pinning. */
  private unavailable = false;
  private readonly states = new Map<string, PinningState>();

  constructor(
    private readonly config: SatelliteConfig,
    private readonly events: EventBusService,
  ) {}

  /** The store, opened on first use (the data directory is locked by then: app.factory.ts). */
  private db(): CatalogStore | undefined {
    if (this.store || this.unavailable) return this.store;
    try {
      this.store = CatalogStore.open(join(this.config.dataDir, CATALOG_FILE));
    } catch (err) {
      this.unavailable = true;
      this.logger.error(
        `the persisted catalog cannot be opened (${(err as Error).message}); tools are neither restored nor pinned`,
      );
    }
    return this.store;
  }

  /** The last good listing of `def` when it was listed under the same config; else undefined. */
  restore(def: ServerDefinition): readonly Tool[] | undefined {
    const stored = this.db()?.loadTools(def.id);
    if (!stored) return undefined;
    if (stored.fingerprint !== catalogFingerprint(def)) {
      this.logger.log(
        `server ${def.slug}: its config changed since its tools were stored; they are not restored`,
      );
      return undefined;
    }
    return stored.tools;
  }

  /** Stores a good listing of `def` (the one a restart restores). */
  remember(def: ServerDefinition, tools: readonly Tool[]): void {
    this.db()?.saveTools(def.id, {
      fingerprint: catalogFingerprint(def),
      tools,
      savedAt: new Date().toISOString(),
    });
  }

  /**
   * Checks a listing against the pins and returns the tools to serve. `fresh`: the server listed
   * them just now (a difference is reported); otherwise they were restored from the store.
   */
  review(def: ServerDefinition, tools: readonly Tool[], fresh: boolean): readonly Tool[] {
    const now = new Date().toISOString();
    const policy = def.toolPinning ?? this.config.catalog.toolPinning;
    const current = new Map(tools.map((t) => [t.name, pinOf(t)]));
    const currentSetHash = toolSetHash(new Map([...current].map(([n, p]) => [n, p.hash])));
    let stored = this.db()?.loadPins(def.id);
    const approved = def.approvedToolsHash === currentSetHash;
    if (!stored || (approved && stored.setHash !== currentSetHash)) {
      if (stored) this.logger.log(`server ${def.slug}: tool set ${currentSetHash} approved`);
      stored = { pins: current, setHash: currentSetHash, pinnedAt: now, changes: [] };
      this.db()?.savePins(def.id, stored);
    } else if (def.approvedToolsHash && !approved && fresh) {
      this.logger.warn(
        `server ${def.slug}: approvedToolsHash ${def.approvedToolsHash} is not its current tool set ${currentSetHash}; nothing approved`,
      );
    }
    const changes = diffAgainstPins({ pins: stored.pins, tools, previous: stored.changes, now });
    const held =
      policy === 'hold'
        ? new Set(changes.filter((c) => c.kind !== 'removed').map((c) => c.tool))
        : new Set<string>();
    this.states.set(def.id, {
      policy,
      pinned_at: stored.pinnedAt,
      pinned_set_hash: stored.setHash,
      current_set_hash: currentSetHash,
      changes,
      held_tools: [...held],
    });
    if (fresh) this.record(def, { stored, changes, currentSetHash, policy, held, now });
    return held.size > 0 ? tools.filter((t) => !held.has(t.name)) : tools;
  }

  /** Pins `tools` when `toolsHash` is their set's hash (an operator's approval). */
  approve(
    def: ServerDefinition,
    tools: readonly Tool[],
    toolsHash: string,
  ): { approved: boolean; currentSetHash: string } {
    const current = new Map(tools.map((t) => [t.name, pinOf(t)]));
    const currentSetHash = toolSetHash(new Map([...current].map(([n, p]) => [n, p.hash])));
    if (toolsHash !== currentSetHash) return { approved: false, currentSetHash };
    this.db()?.savePins(def.id, {
      pins: current,
      setHash: currentSetHash,
      pinnedAt: new Date().toISOString(),
      changes: [],
    });
    this.logger.log(`server ${def.slug}: tool set ${currentSetHash} approved by a command`);
    return { approved: true, currentSetHash };
  }

  /** The pinning view of a server, once it has been listed or restored. */
  stateOf(id: string): PinningState | undefined {
    return this.states.get(id);
  }

  /** Whether `tool` of server `id` is kept out under `hold` (changed or added since its pins). */
  isHeld(id: string, tool: string): boolean {
    return this.states.get(id)?.held_tools.includes(tool) ?? false;
  }

  /** The server went away: its view goes (the stored rows stay, for when it comes back). */
  forget(id: string): void {
    this.states.delete(id);
  }

  onApplicationShutdown(): void {
    this.store?.close();
  }

  private record(
    def: ServerDefinition,
    r: {
      stored: StoredPins;
      changes: readonly ToolChange[];
      currentSetHash: string;
      policy: ToolPinningPolicy;
      held: ReadonlySet<string>;
      now: string;
    },
  ): void {
    const report = r.changes.length > 0 && r.stored.reportedSetHash !== r.currentSetHash;
    const { reportedSetHash: _last, ...rest } = r.stored;
    this.db()?.savePins(def.id, {
      ...rest,
      changes: r.changes,
      // Back to the pinned set: the next difference is reported again.
      ...(r.changes.length > 0 ? { reportedSetHash: r.currentSetHash } : {}),
    });
    if (!report) return;
    this.logger.warn(
      `server ${def.slug}: tools differ from their pinned definitions (${r.changes
        .map((c) => `${c.kind} ${c.tool}`)
        .join(
          ', ',
        )}); policy ${r.policy}${r.held.size > 0 ? `, held: ${[...r.held].join(', ')}` : ''}`,
    );
    this.events.emit('mcp.tools.changed', {
      installation_id: def.id,
      team_id: def.team,
      server_slug: def.slug,
      policy: r.policy,
      pinned_set_hash: r.stored.setHash,
      current_set_hash: r.currentSetHash,
      changes: r.changes.map((c) => ({ ...c })),
      held_tools: [...r.held],
      detected_at: r.now,
    });
  }
}
