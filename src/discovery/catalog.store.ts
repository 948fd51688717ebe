import { openSqliteFile, SqliteStore } from '../events/sqlite-file.js';
import type { StatementSync } from 'node:sqlite';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import type { ToolChange, ToolPin } from './tool-pinning.js';

/** `<dataDir>/catalog.sqlite`: the last good tool lists and the tool pins. */
export const CATALOG_FILE = 'catalog.sqlite';

/** The last good tool list of one server, as its upstream listed it. */
export interface StoredToolList {
  readonly fingerprint: string;
  readonly tools: readonly Tool[];
  readonly savedAt: string;
}

/** The pins of one server (trust on first use) and the differences seen since. */
export interface StoredPins {
  readonly pins: ReadonlyMap<string, ToolPin>;
  /** The tool-set hash at pinning time. */
  readonly setHash: string;
  readonly pinnedAt: string;
  readonly changes: readonly ToolChange[];
  /** The tool-set hash last reported in an `mcp.tools.changed` event (one event per new set). */
  readonly reportedSetHash?: string;
}

/**
 * The persisted catalog (docs/operations.md "Restart: the persisted catalog"): Node's built-in
 * SQLite in WAL mode, like the event queue (src/events/event-queue.store.ts). Small rows, one
 * per server; every write is one statement, so a crash keeps the last complete one.
 */
export class CatalogStore extends SqliteStore {
  private readonly selectTools: StatementSync;
  private readonly upsertTools: StatementSync;
  private readonly selectPins: StatementSync;
  private readonly upsertPins: StatementSync;

  private constructor(path: string) {
    super(
      'the catalog store',
      openSqliteFile(
        path,
        `
      CREATE TABLE IF NOT EXISTS server_tools (
        server_id TEXT PRIMARY KEY,
        fingerprint TEXT NOT NULL,
        tools TEXT NOT NULL,
        saved_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS server_pins (
        server_id TEXT PRIMARY KEY,
        pins TEXT NOT NULL,
        set_hash TEXT NOT NULL,
        pinned_at TEXT NOT NULL,
        changes TEXT NOT NULL,
        reported_set_hash TEXT
      );
    `,
      ),
    );
    this.selectTools = this.db.prepare(
      'SELECT fingerprint, tools, saved_at FROM server_tools WHERE server_id = ?',
    );
    this.upsertTools = this.db.prepare(
      'INSERT OR REPLACE INTO server_tools (server_id, fingerprint, tools, saved_at) VALUES (?, ?, ?, ?)',
    );
    this.selectPins = this.db.prepare(
      'SELECT pins, set_hash, pinned_at, changes, reported_set_hash FROM server_pins WHERE server_id = ?',
    );
    this.upsertPins = this.db.prepare(
      'INSERT OR REPLACE INTO server_pins (server_id, pins, set_hash, pinned_at, changes, reported_set_hash) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  static open(path: string): CatalogStore {
    return new CatalogStore(path);
  }

  loadTools(serverId: string): StoredToolList | undefined {
    if (!this.isOpen()) return undefined;
    const row = this.selectTools.get(serverId) as
      { fingerprint: string; tools: string; saved_at: string } | undefined;
    if (!row) return undefined;
    return {
      fingerprint: row.fingerprint,
      tools: JSON.parse(row.tools) as Tool[],
      savedAt: row.saved_at,
    };
  }

  saveTools(serverId: string, list: StoredToolList): void {
    if (!this.isOpen()) return;
    this.upsertTools.run(serverId, list.fingerprint, JSON.stringify(list.tools), list.savedAt);
  }

  loadPins(serverId: string): StoredPins | undefined {
    if (!this.isOpen()) return undefined;
    const row = this.selectPins.get(serverId) as
      | {
          pins: string;
          set_hash: string;
          pinned_at: string;
          changes: string;
          reported_set_hash: string | null;
        }
      | undefined;
    if (!row) return undefined;
    return {
      pins: new Map(Object.entries(JSON.parse(row.pins) as Record<string, ToolPin>)),
      setHash: row.set_hash,
      pinnedAt: row.pinned_at,
      changes: JSON.parse(row.changes) as ToolChange[],
      ...(row.reported_set_hash ? { reportedSetHash: row.reported_set_hash } : {}),
    };
  }

  savePins(serverId: string, pins: StoredPins): void {
    if (!this.isOpen()) return;
    this.upsertPins.run(
      serverId,
      JSON.stringify(Object.fromEntries(pins.pins)),
      pins.setHash,
      pins.pinnedAt,
      JSON.stringify(pins.changes),
      pins.reportedSetHash ?? null,
    );
  }
}
