import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/**
 * A SQLite file of the data directory (the event queue, the usage store, the persisted catalog),
 * through Node's built-in `node:sqlite`: its folder made private, WAL journal, `synchronous =
 * NORMAL` (a crash loses at most the last transactions, never the file), then `schema`.
 */
export function openSqliteFile(path: string, schema: string): DatabaseSync {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const db = new DatabaseSync(path);
  db.exec(`PRAGMA journal_mode = WAL;\nPRAGMA synchronous = NORMAL;\n${schema}`);
  return db;
}

/** Runs `work` in one write transaction (`BEGIN IMMEDIATE`): all of it, or none of it. */
export function inTransaction(db: DatabaseSync, work: () => void): void {
  db.exec('BEGIN IMMEDIATE');
  try {
    work();
    db.exec('COMMIT');
  } catch (err) {
    db.exec('ROLLBACK');
    throw err;
  }
}

/**
 * What every store over one SQLite file of the data directory shares: the open database, and a
 * close that is final (a closed store refuses work with an error naming it).
 */
export abstract class SqliteStore {
  protected readonly db: DatabaseSync;
  private open = true;
  private readonly what: string;

  /** `what` names the store in errors ("the task store"). */
  protected constructor(what: string, db: DatabaseSync) {
    this.what = what;
    this.db = db;
  }

  isOpen(): boolean {
    return this.open;
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.db.close();
  }

  protected assertOpen(): void {
    if (!this.open) throw new Error(`${this.what} is closed`);
  }
}
