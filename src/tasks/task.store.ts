import type { StatementSync } from 'node:sqlite';
import { openSqliteFile, SqliteStore } from '../events/sqlite-file.js';

export type TaskStatus = 'working' | 'input_required' | 'completed' | 'failed' | 'cancelled';

export const TERMINAL: ReadonlySet<TaskStatus> = new Set(['completed', 'failed', 'cancelled']);

/** One task as stored: the engine's record, wire-neutral (each era shapes its own answer). */
export interface TaskRecord {
  readonly id: string;
  readonly owner: string;
  /** `<server>/<tool>` or `execute_mcp_tool`: for logs. */
  readonly label: string;
  readonly origin: string;
  status: TaskStatus;
  statusMessage?: string;
  readonly createdAt: number;
  updatedAt: number;
  readonly ttlMs: number;
  readonly expiresAt: number;
  readonly pollIntervalMs: number;
  /** JSON of the CallToolResult once completed (or failed with a result). */
  result?: string;
  /** JSON-RPC error of a failed task: `{ code, message }`. */
  error?: { code: number; message: string };
  readonly traceparent?: string;
}

interface Row {
  id: string;
  owner: string;
  label: string;
  origin: string;
  status: string;
  status_message: string | null;
  created_at: number;
  updated_at: number;
  ttl_ms: number;
  expires_at: number;
  poll_ms: number;
  result: string | null;
  error: string | null;
  traceparent: string | null;
}

/**
 * The tasks of the satellite in `<dataDir>/tasks.sqlite` (docs/tasks.md "Where tasks live"): a
 * finished task's result survives a restart until its TTL runs out. One row per task; results
 * are written once, when the task ends.
 */
export class TaskStore extends SqliteStore {
  private readonly insertStmt: StatementSync;
  private readonly getStmt: StatementSync;
  private readonly finishStmt: StatementSync;
  private readonly usageStmt: StatementSync;
  private readonly listStmt: StatementSync;
  private readonly expireStmt: StatementSync;

  constructor(path: string) {
    super(
      'the task store',
      openSqliteFile(
        path,
        `
      CREATE TABLE IF NOT EXISTS tasks (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        label TEXT NOT NULL,
        origin TEXT NOT NULL,
        status TEXT NOT NULL,
        status_message TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        ttl_ms INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        poll_ms INTEGER NOT NULL,
        result TEXT,
        result_bytes INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        traceparent TEXT
      );
      CREATE INDEX IF NOT EXISTS tasks_owner ON tasks (owner, created_at);
      CREATE INDEX IF NOT EXISTS tasks_expiry ON tasks (expires_at);
    `,
      ),
    );
    this.insertStmt = this.db.prepare(`
      INSERT INTO tasks (id, owner, label, origin, status, status_message, created_at, updated_at,
        ttl_ms, expires_at, poll_ms, traceparent)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.getStmt = this.db.prepare('SELECT * FROM tasks WHERE id = ? AND owner = ?');
    this.finishStmt = this.db.prepare(`
      UPDATE tasks SET status = ?, status_message = ?, updated_at = ?, result = ?, result_bytes = ?,
        error = ?
      WHERE id = ? AND status NOT IN ('completed', 'failed', 'cancelled')`);
    this.usageStmt = this.db.prepare(
      'SELECT count(*) AS tasks, coalesce(sum(result_bytes), 0) AS bytes FROM tasks WHERE owner = ?',
    );
    this.listStmt = this.db.prepare(
      'SELECT * FROM tasks WHERE owner = ? AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT ?',
    );
    this.expireStmt = this.db.prepare('DELETE FROM tasks WHERE expires_at <= ?');
  }

  insert(t: TaskRecord): void {
    this.assertOpen();
    this.insertStmt.run(
      t.id,
      t.owner,
      t.label,
      t.origin,
      t.status,
      t.statusMessage ?? null,
      t.createdAt,
      t.updatedAt,
      t.ttlMs,
      t.expiresAt,
      t.pollIntervalMs,
      t.traceparent ?? null,
    );
  }

  get(owner: string, id: string): TaskRecord | undefined {
    this.assertOpen();
    const row = this.getStmt.get(id, owner) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  /** Ends a task that has not ended yet; false when it had (the first end wins). */
  finish(
    id: string,
    end: {
      status: TaskStatus;
      statusMessage?: string;
      at: number;
      result?: string;
      error?: { code: number; message: string };
    },
  ): boolean {
    this.assertOpen();
    const changes = this.finishStmt.run(
      end.status,
      end.statusMessage ?? null,
      end.at,
      end.result ?? null,
      end.result === undefined ? 0 : Buffer.byteLength(end.result),
      end.error ? JSON.stringify(end.error) : null,
      id,
    ).changes;
    return Number(changes) > 0;
  }

  /** What an owner holds: its tasks, and the bytes of their stored results. */
  usage(owner: string): { tasks: number; bytes: number } {
    this.assertOpen();
    return this.usageStmt.get(owner) as { tasks: number; bytes: number };
  }

  /** An owner's tasks after the cursor (created_at, id), oldest first. */
  list(owner: string, after: { at: number; id: string }, limit: number): TaskRecord[] {
    this.assertOpen();
    return (this.listStmt.all(owner, after.at, after.id, limit) as unknown as Row[]).map(fromRow);
  }

  /** Deletes the tasks whose lifetime ended; returns how many. */
  expire(now: number): number {
    this.assertOpen();
    return Number(this.expireStmt.run(now).changes);
  }

  /**
   * Marks every task still running as failed with `message`: at boot, a task the previous run of
   * the satellite left running has no one working on it any more.
   */
  failRunning(message: string, at: number): number {
    this.assertOpen();
    const error = JSON.stringify({ code: -32603, message });
    return Number(
      this.db
        .prepare(
          `UPDATE tasks SET status = 'failed', status_message = ?, error = ?, updated_at = ?
           WHERE status IN ('working', 'input_required')`,
        )
        .run(message, error, at).changes,
    );
  }
}

function fromRow(r: Row): TaskRecord {
  return {
    id: r.id,
    owner: r.owner,
    label: r.label,
    origin: r.origin,
    status: r.status as TaskStatus,
    ...(r.status_message !== null ? { statusMessage: r.status_message } : {}),
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    ttlMs: r.ttl_ms,
    expiresAt: r.expires_at,
    pollIntervalMs: r.poll_ms,
    ...(r.result !== null ? { result: r.result } : {}),
    ...(r.error !== null
      ? { error: JSON.parse(r.error) as { code: number; message: string } }
      : {}),
    ...(r.traceparent !== null ? { traceparent: r.traceparent } : {}),
  };
}
