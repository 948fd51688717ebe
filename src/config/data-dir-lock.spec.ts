import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from '@jest/globals';
import {
  DataDirLock,
  DataDirLockError,
  DataDirLockedError,
  LOCK_DB_FILE,
  LOCK_INFO_FILE,
} from './data-dir-lock.js';

// Real files and real kernel locks; the cross-process cases (another satellite, SIGKILL) are in
// test/process/data-dir-lock.e2e-spec.ts.
const locks: DataDirLock[] = [];
const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'data-dir-lock-'));
  dirs.push(dir);
  return dir;
};
const acquire = (dataDir: string) => {
  const lock = DataDirLock.acquire(dataDir);
  locks.push(lock);
  return lock;
};
const snapshot = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((name) => {
      const st = statSync(join(dir, name));
      return { name, size: st.size, mtimeMs: st.mtimeMs, ino: st.ino };
    });

afterEach(() => {
  for (const lock of locks.splice(0)) lock.release();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('DataDirLock', () => {
  it('creates the directory 0700 and names its holder in satellite.lock', () => {
    const dataDir = join(tempDir(), 'data');
    const lock = acquire(dataDir);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(readdirSync(dataDir).sort()).toEqual([LOCK_INFO_FILE, LOCK_DB_FILE]);
    const info = JSON.parse(readFileSync(join(dataDir, LOCK_INFO_FILE), 'utf8')) as unknown;
    expect(info).toEqual({ pid: process.pid, host: hostname(), startedAt: lock.holder.startedAt });
  });

  it('refuses a second lock on the same directory, in this process too, and writes nothing', () => {
    const dataDir = tempDir();
    acquire(dataDir);
    const before = snapshot(dataDir);
    let error: unknown;
    try {
      acquire(dataDir);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataDirLockedError);
    const locked = error as DataDirLockedError;
    expect(locked.holder?.pid).toBe(process.pid);
    expect(locked.message).toContain(`DEPLOYSTACK_DATA_DIR ${dataDir} is locked`);
    expect(locked.message).toContain(`pid ${process.pid} on host ${hostname()}`);
    expect(locked.message).toMatch(/Stop the other satellite, or give this one its own/);
    expect(snapshot(dataDir)).toEqual(before);
    // The refused attempt closed its own connection; the first lock is still held.
    expect(() => acquire(dataDir)).toThrow(DataDirLockedError);
  });

  it('says the pid is unknown when satellite.lock is missing or garbage', () => {
    const dataDir = tempDir();
    acquire(dataDir);
    writeFileSync(join(dataDir, LOCK_INFO_FILE), 'not json');
    expect(() => acquire(dataDir)).toThrow(/locked by another process \(pid unknown/);
  });

  it('release removes satellite.lock and lets the next holder in; release is idempotent', () => {
    const dataDir = tempDir();
    const first = acquire(dataDir);
    first.release();
    first.release();
    expect(readdirSync(dataDir)).toEqual([LOCK_DB_FILE]);
    const second = acquire(dataDir);
    expect(readdirSync(dataDir).sort()).toEqual([LOCK_INFO_FILE, LOCK_DB_FILE]);
    second.release();
  });

  it('a directory that cannot be created is a lock error, not "locked"', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    let error: unknown;
    try {
      acquire(join(file, 'data'));
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DataDirLockError);
    expect(error).not.toBeInstanceOf(DataDirLockedError);
    expect((error as Error).message).toMatch(/cannot lock DEPLOYSTACK_DATA_DIR .*a-file\/data/);
  });
});
