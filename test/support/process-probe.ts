// The built satellite as its own process, and what /proc and /metrics say about it: resident
// memory, open file descriptors, child processes, sessions, streams, timers. Used by the hostile
// clients fuzzer (test/security/hostile-clients.e2e-spec.ts) and the soak (bench/soak/), which
// Node runs with plain type stripping: erasable TypeScript only, and no import of src/.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '..', '..');

export interface BuiltSatellite {
  readonly child: ChildProcess;
  readonly pid: number;
  /** `http://127.0.0.1:<port>` (PORT=0: the port it bound). */
  readonly base: string;
  /** The end of what it wrote to stdout and stderr. */
  output(): string;
  /** Its log lines at level error or fatal (JSON logs): how many, and the first ten. */
  readonly errors: { readonly count: number; readonly first: readonly string[] };
  readonly exited: Promise<number | null>;
  /** SIGTERM, then the exit code (SIGKILL after `graceMs`). */
  stop(graceMs?: number): Promise<number | null>;
}

/**
 * A private copy of `dist/` (with links to the project's node_modules, package.json and config/),
 * so a long run is not broken by someone rebuilding `dist/` meanwhile. Returns its main.js.
 */
export function privateDist(): string {
  const main = join(ROOT, 'dist', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npx nest build" first`);
  const dir = mkdtempSync(join(tmpdir(), 'satellite-dist-'));
  cpSync(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  cpSync(join(ROOT, 'package.json'), join(dir, 'package.json'));
  mkdirSync(join(dir, 'config'));
  cpSync(join(ROOT, 'config'), join(dir, 'config'), { recursive: true });
  return join(dir, 'dist', 'main.js');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `main` (the built satellite) on an ephemeral loopback port with `env` (plus PATH, HOST,
 * PORT) and waits until `/health/ready` answers 200.
 */
export async function spawnBuilt(
  env: Record<string, string>,
  main = join(ROOT, 'dist', 'main.js'),
): Promise<BuiltSatellite> {
  if (!existsSync(main)) throw new Error(`${main} is missing: run "npx nest build" first`);
  // glibc's malloc settings (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_, …) pass through.
  const malloc = Object.entries(process.env).filter(([k, v]) => k.startsWith('MALLOC_') && v);
  const child = spawn(process.execPath, [main], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      ...(Object.fromEntries(malloc) as Record<string, string>),
      ...env,
      HOST: '127.0.0.1',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // What it wrote, the last 256 KiB of it (a long run logs more), and its error-level log lines.
  let output = '';
  const errors = { count: 0, first: [] as string[] };
  const keep = (c: Buffer) => {
    const text = c.toString();
    output += text;
    if (output.length > 512 * 1024) output = output.slice(-256 * 1024);
    for (const line of text.split('\n'))
      if (/"level":(50|60)\b/.test(line) && ++errors.count <= 10) errors.first.push(line);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  const deadline = Date.now() + 60_000;
  let base: string | undefined;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`the satellite exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the satellite was not ready within 60 s:\n${output}`);
    }
    base ??= /satellite listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (base) {
      const ready = await fetch(`${base}/health/ready`).catch(() => undefined);
      await ready?.text();
      if (ready?.status === 200) break;
    }
    await sleep(50);
  }
  const stop = async (graceMs = 20_000): Promise<number | null> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    }
    return exited;
  };
  return { child, pid: child.pid!, base, output: () => output, errors, exited, stop };
}

/** VmRSS of a process, in KiB (0 once it is gone). */
export function rssKb(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Open file descriptors of a process (entries of /proc/<pid>/fd). */
export function fdCount(pid: number): number {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Every live descendant of a process (children, their children, …), from /proc. */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      // Fields after the command (which may hold spaces and parentheses): state, ppid, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue; // a zombie is gone already, waiting to be reaped
      parentOf.set(Number(entry), Number(fields[1]));
    } catch {
      // it exited while we looked
    }
  }
  const found: number[] = [];
  let frontier = [pid];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (const [child, parent] of parentOf) if (frontier.includes(parent)) next.push(child);
    found.push(...next);
    frontier = next;
  }
  return found;
}

/**
 * Where a process's resident memory is, from /proc/<pid>/smaps, in MB: files (code, libraries),
 * the main malloc heap (`[heap]`), anonymous mappings (V8's heap pages, other threads' malloc
 * arenas, large allocations), and the five largest anonymous mappings.
 */
export function rssBreakdown(pid: number): {
  file: number;
  heap: number;
  anon: number;
  largestAnon: number[];
} {
  const out = { file: 0, heap: 0, anon: 0, largestAnon: [] as number[] };
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return out;
  }
  const anon: number[] = [];
  let kind: 'file' | 'heap' | 'anon' = 'anon';
  for (const line of text.split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \d+\s*(.*)$/.exec(line);
    if (mapping) {
      const name = mapping[1];
      kind = name === '[heap]' ? 'heap' : name.startsWith('/') ? 'file' : 'anon';
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const mb = Number(rss[1]) / 1024;
    out[kind] += mb;
    if (kind === 'anon') anon.push(mb);
  }
  out.largestAnon = anon.sort((a, b) => b - a).slice(0, 5);
  return out;
}

/** Whether a process exists (and is not a zombie). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** One scrape of `/metrics`: the sum of a metric's samples whose labels contain `labels`. */
export interface Scrape {
  (name: string, labels?: string): number;
}

export async function scrape(base: string): Promise<Scrape> {
  const text = await (await fetch(`${base}/metrics`)).text();
  const samples: Array<{ name: string; labels: string; value: number }> = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (m) samples.push({ name: m[1], labels: m[2] ?? '', value: Number(m[3]) });
  }
  return (name, labels = '') =>
    samples
      .filter((s) => s.name === name && s.labels.includes(labels))
      .reduce((sum, s) => sum + s.value, 0);
}

/** What the satellite process looks like now: /proc and /metrics. */
export interface Snapshot {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  /** Memory of Buffers and ArrayBuffers held by JavaScript objects (outside the heap). */
  readonly externalMb: number;
  readonly fds: number;
  readonly children: number;
  readonly sessions: number;
  readonly streams: number;
  readonly timers: number;
  readonly handles: number;
  readonly requests: number;
  /** The longest event-loop delay since the previous scrape, in milliseconds. */
  readonly lagMaxMs: number;
}

export async function snapshot(sat: { pid: number; base: string }): Promise<Snapshot> {
  const m = await scrape(sat.base);
  return {
    rssMb: rssKb(sat.pid) / 1024,
    heapUsedMb: m('satellite_nodejs_heap_size_used_bytes') / 2 ** 20,
    externalMb: m('satellite_nodejs_external_memory_bytes') / 2 ** 20,
    fds: fdCount(sat.pid),
    children: descendants(sat.pid).length,
    sessions: m('satellite_sessions_open'),
    streams: m('satellite_streams_open'),
    timers: m('satellite_nodejs_active_resources', 'type="Timeout"'),
    handles: m('satellite_nodejs_active_handles_total'),
    requests: m('satellite_http_requests_total'),
    lagMaxMs: m('satellite_nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/** Memory is back when RSS is within +15 % or +20 MB of the baseline, whichever is more. */
export function memoryBack(baselineMb: number, nowMb: number): boolean {
  return nowMb <= Math.max(baselineMb * 1.15, baselineMb + 20);
}
