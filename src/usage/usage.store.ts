import { inTransaction, openSqliteFile, SqliteStore } from '../events/sqlite-file.js';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { type HistogramJson, LatencyHistogram } from './latency-histogram.js';

export const HOUR_MS = 3_600_000;

/** What one row counts: the calls of one tool, on one server and team, by one client, in one hour. */
export interface UsageKey {
  /** Hours since the epoch (UTC): `Math.floor(ms / HOUR_MS)`. */
  readonly hour: number;
  readonly server: string;
  readonly team: string;
  /** The tool path (`{server_slug}-{tool_name}`). */
  readonly tool: string;
  readonly client: string;
}

export interface UsageRow extends UsageKey {
  calls: number;
  errors: number;
  bytes: number;
  tokens: number;
  readonly latency: LatencyHistogram;
  /**
   * The traceparent of the latest traced call the row counts: an exemplar linking the figures to
   * one trace (docs/usage.md "Trace exemplars").
   */
  traceparent?: string;
}

/** Meta-tool sessions first seen in one hour, and the tokens they saved (usage.service.ts). */
export interface SavedRow {
  readonly hour: number;
  sessions: number;
  tokens: number;
}

export interface UsageStoreOptions {
  /** SQLite file, e.g. `<dataDir>/usage.sqlite`. */
  readonly path: string;
}

export interface UsageQuery {
  readonly sinceHour: number;
  readonly server?: string;
  readonly team?: string;
  /** Only these teams (the caller's); undefined = all. */
  readonly teams?: readonly string[];
}

interface DbUsageRow {
  hour: number;
  server: string;
  team: string;
  tool: string;
  client: string;
  calls: number;
  errors: number;
  bytes: number;
  tokens: number;
  latency: string;
  traceparent: string | null;
}

/**
 * The usage figures on disk, one row per hour and (server, team, tool, client), kept across
 * restarts. Node's built-in SQLite like the event queue (event-queue.store.ts); written only by
 * UsageService's batched flush, one transaction per batch, never per call.
 */
export class UsageStore extends SqliteStore {
  private readonly selectLatency: StatementSync;
  private readonly upsertUsage: StatementSync;
  private readonly upsertSaved: StatementSync;
  private readonly deleteUsage: StatementSync;
  private readonly deleteSaved: StatementSync;

  private constructor(options: UsageStoreOptions) {
    super(
      'the usage store',
      openSqliteFile(
        options.path,
        `
      CREATE TABLE IF NOT EXISTS tool_usage (
        hour INTEGER NOT NULL,
        server TEXT NOT NULL,
        team TEXT NOT NULL,
        tool TEXT NOT NULL,
        client TEXT NOT NULL,
        calls INTEGER NOT NULL,
        errors INTEGER NOT NULL,
        bytes INTEGER NOT NULL,
        tokens INTEGER NOT NULL,
        latency TEXT NOT NULL,
        traceparent TEXT,
        PRIMARY KEY (hour, server, team, tool, client)
      );
      CREATE TABLE IF NOT EXISTS tokens_saved (
        hour INTEGER PRIMARY KEY,
        sessions INTEGER NOT NULL,
        tokens INTEGER NOT NULL
      );
    `,
      ),
    );
    migrate(this.db);
    this.selectLatency = this.db.prepare(
      'SELECT latency FROM tool_usage WHERE hour = ? AND server = ? AND team = ? AND tool = ? AND client = ?',
    );
    this.upsertUsage = this.db.prepare(`
      INSERT INTO tool_usage (hour, server, team, tool, client, calls, errors, bytes, tokens, latency, traceparent)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (hour, server, team, tool, client) DO UPDATE SET
        calls = calls + excluded.calls,
        errors = errors + excluded.errors,
        bytes = bytes + excluded.bytes,
        tokens = tokens + excluded.tokens,
        latency = excluded.latency,
        traceparent = COALESCE(excluded.traceparent, traceparent)
    `);
    this.upsertSaved = this.db.prepare(`
      INSERT INTO tokens_saved (hour, sessions, tokens) VALUES (?, ?, ?)
      ON CONFLICT (hour) DO UPDATE SET
        sessions = sessions + excluded.sessions,
        tokens = tokens + excluded.tokens
    `);
    this.deleteUsage = this.db.prepare('DELETE FROM tool_usage WHERE hour < ?');
    this.deleteSaved = this.db.prepare('DELETE FROM tokens_saved WHERE hour < ?');
  }

  static open(options: UsageStoreOptions): UsageStore {
    return new UsageStore(options);
  }

  /** Adds a batch of deltas to the stored rows, in one transaction (all or nothing). */
  add(usage: Iterable<UsageRow>, saved: Iterable<SavedRow>): void {
    this.assertOpen();
    inTransaction(this.db, () => {
      for (const row of usage) {
        const key = [row.hour, row.server, row.team, row.tool, row.client] as const;
        const stored = this.selectLatency.get(...key) as { latency: string } | undefined;
        const latency = stored
          ? LatencyHistogram.fromJson(JSON.parse(stored.latency) as HistogramJson).merge(
              row.latency,
            )
          : row.latency;
        this.upsertUsage.run(
          ...key,
          row.calls,
          row.errors,
          row.bytes,
          row.tokens,
          JSON.stringify(latency.toJson()),
          row.traceparent ?? null,
        );
      }
      for (const row of saved) this.upsertSaved.run(row.hour, row.sessions, row.tokens);
    });
  }

  /** The rows from `sinceHour` on that match the filters. */
  usage(query: UsageQuery): UsageRow[] {
    this.assertOpen();
    const where = ['hour >= ?'];
    const params: Array<string | number> = [query.sinceHour];
    if (query.server !== undefined) {
      where.push('server = ?');
      params.push(query.server);
    }
    if (query.team !== undefined) {
      where.push('team = ?');
      params.push(query.team);
    }
    if (query.teams !== undefined) {
      where.push(`team IN (${query.teams.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...query.teams);
    }
    const rows = this.db
      .prepare(`SELECT * FROM tool_usage WHERE ${where.join(' AND ')}`)
      .all(...params) as unknown as DbUsageRow[];
    return rows.map((r) => ({
      hour: r.hour,
      server: r.server,
      team: r.team,
      tool: r.tool,
      client: r.client,
      calls: r.calls,
      errors: r.errors,
      bytes: r.bytes,
      tokens: r.tokens,
      latency: LatencyHistogram.fromJson(JSON.parse(r.latency) as HistogramJson),
      ...(r.traceparent ? { traceparent: r.traceparent } : {}),
    }));
  }

  saved(sinceHour: number): SavedRow[] {
    this.assertOpen();
    return this.db
      .prepare('SELECT hour, sessions, tokens FROM tokens_saved WHERE hour >= ?')
      .all(sinceHour) as unknown as SavedRow[];
  }

  /** The client names stored, most calls first (UsageService caps them at start). */
  clients(limit: number): string[] {
    this.assertOpen();
    return (
      this.db
        .prepare('SELECT client FROM tool_usage GROUP BY client ORDER BY sum(calls) DESC LIMIT ?')
        .all(limit) as unknown as Array<{ client: string }>
    ).map((r) => r.client);
  }

  /** Drops the hours before `beforeHour`; returns how many rows went. */
  prune(beforeHour: number): number {
    this.assertOpen();
    let removed = 0;
    inTransaction(this.db, () => {
      removed += Number(this.deleteUsage.run(beforeHour).changes);
      removed += Number(this.deleteSaved.run(beforeHour).changes);
    });
    return removed;
  }
}

/**
 * Brings a usage.sqlite written by an earlier version up to this schema: `traceparent` was added
 * to `tool_usage` (issue 17). `CREATE TABLE IF NOT EXISTS` leaves an existing table as it was.
 */
function migrate(db: DatabaseSync): void {
  const columns = db.prepare('PRAGMA table_info(tool_usage)').all() as Array<{ name: string }>;
  if (!columns.some((c) => c.name === 'traceparent'))
    db.exec('ALTER TABLE tool_usage ADD COLUMN traceparent TEXT');
}
