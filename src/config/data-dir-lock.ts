import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';

/** The file the kernel lock is held on. Never deleted (see DataDirLock). */
export const LOCK_DB_FILE = 'satellite.lock.sqlite';
/** Who holds the lock, for the message a second satellite prints; advisory only. */
export const LOCK_INFO_FILE = 'satellite.lock';

/** The contents of `<dataDir>/satellite.lock`. */
export interface DataDirLockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
}

/** The data directory could not be locked (not writable, a filesystem without locks, ...). */
export class DataDirLockError extends Error {
  constructor(
    readonly dataDir: string,
    message: string,
  ) {
    super(message);
    this.name = 'DataDirLockError';
  }
}

/** Another live process holds the data directory: this satellite must not start. */
export class DataDirLockedError extends DataDirLockError {
  constructor(
    dataDir: string,
    readonly holder: DataDirLockHolder | undefined,
  ) {
    super(dataDir, lockedMessage(dataDir, holder));
    this.name = 'DataDirLockedError';
  }
}

const SQLITE_BUSY = 5;

/** Locks the process holds; a reference here keeps a lock's connection from being collected. */
const held = new Set<DataDirLock>();

/**
 * One data directory, one satellite (docs/process.md): an exclusive lock on
 * `DEPLOYSTACK_DATA_DIR`, taken before anything else touches the directory (createApp takes it
 * first thing; the leftover sweep, the SQLite stores and the servers all come after).
 *
 * The lock is a kernel-held POSIX record lock (fcntl) on `<dataDir>/satellite.lock.sqlite`, taken
 * through Node's built-in SQLite (`BEGIN EXCLUSIVE` on an empty database, never committed): Node
 * has no flock/fcntl API, and this needs no native addon and no new dependency. The kernel drops
 * the lock when the process dies in any way, SIGKILL included, so a restart after a crash just
 * works. Being a lock on a file (an inode), it also holds across PID and network namespaces
 * (two containers on one host sharing the volume) and whatever path each one mounts the
 * directory at, which an abstract unix socket (per network namespace) or a pid file would not.
 * Rejected: `proper-lockfile` (mkdir + mtime staleness: a SIGKILLed holder blocks restarts until
 * the lock turns stale, and a slow holder can be declared stale while alive). SQLite also tracks
 * locks per inode inside one process, so a second lock attempt in the same process (two in-process
 * test apps) is refused too, and closing that attempt does not drop the first one's lock.
 *
 * The lock file is never deleted: a process that opened it before a deletion would lock the
 * orphaned inode while a newcomer locks a new file, and both would "hold" the directory.
 * `satellite.lock` (pid, host, start time) only names the holder for the refusal message.
 */
export class DataDirLock {
  private released = false;

  private constructor(
    readonly dataDir: string,
    readonly holder: DataDirLockHolder,
    private readonly db: DatabaseSync,
  ) {}

  /**
   * Takes the lock or throws: DataDirLockedError when another live process holds it (nothing in
   * the directory is written then), DataDirLockError when the directory cannot be locked at all.
   * Creates the directory (0700) when it does not exist yet.
   */
  static acquire(dataDir: string): DataDirLock {
    let db: DatabaseSync | undefined;
    try {
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      db = new DatabaseSync(join(dataDir, LOCK_DB_FILE));
      // No journal file next to the lock file: the transaction never writes anything anyway.
      db.exec('PRAGMA journal_mode = MEMORY');
      db.exec('BEGIN EXCLUSIVE');
    } catch (err) {
      db?.close();
      if ((err as { errcode?: number }).errcode === SQLITE_BUSY)
        throw new DataDirLockedError(dataDir, readHolder(dataDir));
      throw new DataDirLockError(
        dataDir,
        `cannot lock DEPLOYSTACK_DATA_DIR ${dataDir} (${join(dataDir, LOCK_DB_FILE)}): ${(err as Error).message}. ` +
          'It must be a writable directory on a filesystem that supports file locks.',
      );
    }
    const holder: DataDirLockHolder = {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
    };
    try {
      // Written whole, then renamed: a refused satellite never reads half a file.
      const tmp = join(dataDir, `${LOCK_INFO_FILE}.tmp`);
      writeFileSync(tmp, `${JSON.stringify(holder)}\n`, { mode: 0o644 });
      renameSync(tmp, join(dataDir, LOCK_INFO_FILE));
    } catch (err) {
      db.close();
      throw new DataDirLockError(
        dataDir,
        `cannot write ${join(dataDir, LOCK_INFO_FILE)}: ${(err as Error).message}`,
      );
    }
    const lock = new DataDirLock(dataDir, holder, db);
    held.add(lock);
    return lock;
  }

  /** Removes `satellite.lock`, then drops the kernel lock. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    held.delete(this);
    // While still locked: the file is ours to remove, not a successor's.
    rmSync(join(this.dataDir, LOCK_INFO_FILE), { force: true });
    try {
      this.db.exec('ROLLBACK');
    } finally {
      this.db.close();
    }
  }
}

/** What `satellite.lock` says, when it says something sensible. */
export function readHolder(dataDir: string): DataDirLockHolder | undefined {
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, LOCK_INFO_FILE), 'utf8')) as Record<
      string,
      unknown
    >;
    if (typeof raw.pid !== 'number') return undefined;
    return {
      pid: raw.pid,
      host: typeof raw.host === 'string' ? raw.host : 'unknown',
      startedAt: typeof raw.startedAt === 'string' ? raw.startedAt : 'unknown',
    };
  } catch {
    return undefined;
  }
}

function lockedMessage(dataDir: string, holder: DataDirLockHolder | undefined): string {
  let who = `another process (pid unknown: ${join(dataDir, LOCK_INFO_FILE)} is missing or unreadable)`;
  if (holder) {
    who = `another satellite, pid ${holder.pid} on host ${holder.host}, started ${holder.startedAt}`;
    if (holder.host === hostname() && !isRunning(holder.pid))
      who += ` (per ${LOCK_INFO_FILE}; no such process here, so the holder runs in another PID namespace or has only just taken the lock)`;
  }
  return (
    `DEPLOYSTACK_DATA_DIR ${dataDir} is locked by ${who}. ` +
    'Two satellites on one data directory would kill each other’s MCP servers, so this one does not start. ' +
    'Stop the other satellite, or give this one its own DEPLOYSTACK_DATA_DIR.'
  );
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
