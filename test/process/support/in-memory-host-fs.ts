import { dirname } from 'node:path';
import { HostFs, type PathKind } from '../../../src/process/host-fs.js';

type Node = { kind: 'dir' } | { kind: 'file'; data: string } | { kind: 'symlink'; target: string };

/** HostFs over a Map, for unit tests of cgroup and mount logic (no real /sys, no real /etc). */
export class InMemoryHostFs extends HostFs {
  readonly nodes = new Map<string, Node>();
  /** Writes to these paths fail with this errno code. */
  readonly failing = new Map<string, string>();
  readonly readOnly = new Set<string>();
  readonly writes: Array<{ path: string; data: string }> = [];

  dir(...paths: string[]): this {
    for (const p of paths) {
      for (let d = p; d !== '/' && d !== '.'; d = dirname(d))
        if (!this.nodes.has(d)) this.nodes.set(d, { kind: 'dir' });
    }
    return this;
  }

  file(path: string, data = ''): this {
    this.dir(dirname(path));
    this.nodes.set(path, { kind: 'file', data });
    return this;
  }

  link(path: string, target: string): this {
    this.dir(dirname(path));
    this.nodes.set(path, { kind: 'symlink', target });
    return this;
  }

  override read(path: string): string | undefined {
    const n = this.nodes.get(path);
    return n?.kind === 'file' ? n.data : undefined;
  }

  override write(path: string, data: string): void {
    const code = this.failing.get(path);
    if (code) throw Object.assign(new Error(`${code}: write ${path}`), { code });
    this.writes.push({ path, data });
    this.file(path, data);
  }

  override mkdir(path: string): void {
    const code = this.failing.get(path);
    if (code) throw Object.assign(new Error(`${code}: mkdir ${path}`), { code });
    this.dir(path);
  }

  override rmdir(path: string): boolean {
    if (
      [...this.nodes.keys()].some(
        (p) => p.startsWith(`${path}/`) && this.nodes.get(p)?.kind === 'dir',
      )
    )
      return false;
    for (const p of [...this.nodes.keys()])
      if (p === path || p.startsWith(`${path}/`)) this.nodes.delete(p);
    return true;
  }

  override remove(path: string): void {
    for (const p of [...this.nodes.keys()])
      if (p === path || p.startsWith(`${path}/`)) this.nodes.delete(p);
  }

  override list(path: string): string[] {
    const prefix = `${path}/`;
    return [...this.nodes.keys()]
      .filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('/'))
      .map((p) => p.slice(prefix.length));
  }

  override realpath(path: string): string | undefined {
    return this.nodes.has(path) ? path : undefined;
  }

  override exists(path: string): boolean {
    return this.nodes.has(path);
  }

  override kind(path: string): PathKind {
    return this.nodes.get(path)?.kind ?? 'missing';
  }

  override readlink(path: string): string {
    const n = this.nodes.get(path);
    if (n?.kind !== 'symlink') throw new Error(`not a symlink: ${path}`);
    return n.target;
  }

  override writable(path: string): boolean {
    return this.nodes.has(path) && !this.readOnly.has(path);
  }

  override chown(): void {}

  override chmod(): void {}
}
