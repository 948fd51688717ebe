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
