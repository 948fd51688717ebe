import {
  accessSync,
  chmodSync,
  chownSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { Injectable } from '@nestjs/common';

export type PathKind = 'dir' | 'file' | 'symlink' | 'other' | 'missing';

/**
 * The filesystem calls of the process module (cgroup files, team directories, sandbox mounts,
 * leftover records), behind one injectable so unit tests can use an in-memory fake
 * (docs/style.md §3).
 */
@Injectable()
export class HostFs {
  read(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Throws on failure (cgroup writes fail with meaningful errnos: EBUSY, EACCES, EINVAL). */
  write(path: string, data: string, mode?: number): void {
    writeFileSync(path, data, mode === undefined ? undefined : { mode });
  }

  mkdir(path: string, mode?: number): void {
    mkdirSync(path, { recursive: true, ...(mode === undefined ? {} : { mode }) });
  }

  /** Removes an empty directory (cgroup directories are removed this way); false on failure. */
  rmdir(path: string): boolean {
    try {
      rmdirSync(path);
      return true;
    } catch {
      return false;
    }
  }

  remove(path: string): void {
    rmSync(path, { force: true, recursive: true });
  }

  list(path: string): string[] {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  }

  exists(path: string): boolean {
    return existsSync(path);
  }

  kind(path: string): PathKind {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) return 'symlink';
      if (st.isDirectory()) return 'dir';
      return st.isFile() ? 'file' : 'other';
    } catch {
      return 'missing';
    }
  }

  /** The path with every symlink resolved, or undefined when it cannot be. */
  realpath(path: string): string | undefined {
    try {
      return realpathSync(path);
    } catch {
      return undefined;
    }
  }

  readlink(path: string): string {
    return readlinkSync(path);
  }

  writable(path: string): boolean {
    try {
      accessSync(path, constants.W_OK);
      return true;
    } catch {
      return false;
    }
  }

  chown(path: string, uid: number, gid: number): void {
    chownSync(path, uid, gid);
  }

  chmod(path: string, mode: number): void {
    chmodSync(path, mode);
  }
}
