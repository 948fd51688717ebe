import { inTransaction, openSqliteFile, SqliteStore } from './sqlite-file.js';
import type { StatementSync } from 'node:sqlite';
import type { SatelliteEvent } from './event-map.js';

export interface QueuedEvent {
  /** Insertion order; removal is by this number. */
  readonly seq: number;
  readonly event: SatelliteEvent;
}

export interface EventQueueStoreOptions {
  /** SQLite file, e.g. `<dataDir>/event-queue.sqlite`. */
  readonly path: string;
  /** At most this many events are kept; beyond it the oldest are dropped and counted. */
  readonly capacity: number;
}

interface EventRow {
  seq: number;
  type: string;
  timestamp: string;
  data: string;
}

/**
 * The durable event queue: events survive a satellite restart (or a kill) until the backend has
 * them. Node's built-in SQLite (no native addon, no server) in WAL mode; every append is one
 * small transaction, so a crash loses nothing that `append` returned from.
 */
export class EventQueueStore extends SqliteStore {
  private readonly insert: StatementSync;
  private readonly selectOldest: StatementSync;
  private readonly deleteOne: StatementSync;
  private readonly trimOldest: StatementSync;
  private readonly bumpOverflow: StatementSync;
  private readonly capacity: number;
  private count: number;
  private overflow: number;

  // No parameter properties in this file: a test loads it in a child process with Node's type
  // stripping, which supports only erasable syntax.
  private constructor(options: EventQueueStoreOptions) {
    super(
      'the event queue',
      openSqliteFile(
        options.path,
        `
      CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        type TEXT NOT NULL,
        timestamp TEXT NOT NULL,
        data TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT OR IGNORE INTO counters (name, value) VALUES ('overflow_dropped', 0);
    `,
      ),
    );
    this.capacity = options.capacity;
    this.insert = this.db.prepare('INSERT INTO events (type, timestamp, data) VALUES (?, ?, ?)');
    this.selectOldest = this.db.prepare(
      'SELECT seq, type, timestamp, data FROM events ORDER BY seq LIMIT ?',
    );
    this.deleteOne = this.db.prepare('DELETE FROM events WHERE seq = ?');
    this.trimOldest = this.db.prepare(
      'DELETE FROM events WHERE seq IN (SELECT seq FROM events ORDER BY seq LIMIT ?)',
    );
    this.bumpOverflow = this.db.prepare(
      "UPDATE counters SET value = value + ? WHERE name = 'overflow_dropped'",
    );
    this.count = Number(
      (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
    );
    this.overflow = Number(
      (
        this.db.prepare("SELECT value FROM counters WHERE name = 'overflow_dropped'").get() as {
          value: number;
        }
      ).value,
    );
  }

  static open(options: EventQueueStoreOptions): EventQueueStore {
    return new EventQueueStore(options);
  }

  /** Appends one event; returns how many old events were dropped to stay within capacity. */
  append(event: SatelliteEvent): number {
    this.assertOpen();
    const over = Math.max(0, this.count + 1 - this.capacity);
    inTransaction(this.db, () => {
      this.insert.run(event.type, event.timestamp, JSON.stringify(event.data));
      if (over > 0) {
        this.trimOldest.run(over);
        this.bumpOverflow.run(over);
      }
    });
    this.count += 1 - over;
    this.overflow += over;
    return over;
  }

  /** The oldest `limit` events, still queued. */
  peek(limit: number): QueuedEvent[] {
    this.assertOpen();
    return (this.selectOldest.all(limit) as unknown as EventRow[]).map((row) => ({
      seq: row.seq,
      event: {
        type: row.type,
        timestamp: row.timestamp,
        data: JSON.parse(row.data) as unknown,
      } as SatelliteEvent,
    }));
  }

  remove(seqs: readonly number[]): void {
    this.assertOpen();
    if (seqs.length === 0) return;
    let removed = 0;
    inTransaction(this.db, () => {
      for (const seq of seqs) removed += Number(this.deleteOne.run(seq).changes);
    });
    this.count -= removed;
  }

  size(): number {
    return this.count;
  }

  /** Events dropped because the queue was full, over the store's whole life (kept across restarts). */
  overflowDropped(): number {
    return this.overflow;
  }
}
