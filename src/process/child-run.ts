import type { SpawnedChild } from './process-spawner.js';
import type { Clock } from '../events/clock.js';
import type { ProcessSpawner } from './process-spawner.js';
import type { ProcessTuning } from './process-tuning.js';
import type { SandboxLaunch } from './sandbox/sandbox-driver.js';
import { CallLatency } from './call-latency.js';
import { type StderrSink, StderrPump } from './stderr-pump.js';
import { StdioChildTransport } from './stdio-child-transport.js';

export type ExitCause = 'memory' | 'pids' | 'stdout_line' | 'spawn_error' | 'unresponsive';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: string | null;
  readonly uptimeMs: number;
  /** Why it died when the satellite or the kernel knows better than the exit status. */
  readonly cause?: { readonly kind: ExitCause; readonly detail: string };
  /** Whether the satellite asked for it (terminate, park, replace). */
  readonly requested: boolean;
  readonly stderrTail: readonly string[];
}

export interface ChildRunHooks {
  readonly stderr: StderrSink;
  /** A limit was hit (reported as `resource.limit.exceeded`). */
  onLimit(limit: 'memory' | 'pids' | 'stdout_line', detail: string): void;
  /** stdout carried a line that is not JSON-RPC. */
  onGarbage(line: string): void;
}

export interface ChildRunDeps {
  readonly spawner: ProcessSpawner;
  readonly clock: Clock;
  readonly tuning: ProcessTuning;
  readonly killGraceMs: number;
  readonly redact: (s: string) => string;
  readonly hooks: ChildRunHooks;
  /** The process group and its cgroup are gone (the leftover record can be dropped). */
  readonly onGone: () => void;
  /** This start installs a package first (package-runner.ts): `installing`, the install timeout. */
  readonly installing?: boolean;
  /** Called once the server has answered the handshake (limits back to normal, install marker). */
  readonly onReady?: () => void;
}

/**
 * One spawned process tree: its transport, its stderr, its exit, and its termination
 * (SIGTERM to the whole group, SIGKILL after the grace period, then the cgroup is emptied and
 * removed). The process group id is the child's pid: children are spawned with setsid.
 */
export class ChildRun {
  readonly pid: number | undefined;
  readonly transport: StdioChildTransport;
  /** Round trips of the MCP requests sent to this process (pings excepted). */
  readonly calls = new CallLatency();
  private readonly stderr: StderrPump;
  private readonly startedAt: number;
  private exit?: ExitInfo;
  private rawExit?: { code: number | null; signal: string | null };
  private stdoutEnded = false;
  private cause?: ExitInfo['cause'];
  private requested = false;
  private readonly listeners: Array<(exit: ExitInfo) => void> = [];
  private terminating?: Promise<void>;
  private finalized!: () => void;
  private readonly exited = new Promise<void>((resolve) => (this.finalized = resolve));

  constructor(
    private readonly child: SpawnedChild,
    readonly launch: SandboxLaunch,
    private readonly deps: ChildRunDeps,
  ) {
    this.pid = child.pid;
    this.startedAt = deps.clock.now();
    this.transport = new StdioChildTransport(child, deps.tuning.maxLineBytes, {
      onLineTooLong: (max) =>
        this.killFor('stdout_line', `a stdout line exceeded ${max} bytes; the process was killed`),
      onGarbage: (line) => deps.hooks.onGarbage(line),
      onCloseRequested: () => void this.terminate(),
      onAnswered: (method, ms) => {
        if (method !== 'ping') this.calls.record(ms);
      },
      now: () => deps.clock.now(),
    });
    this.stderr = new StderrPump({
      tuning: deps.tuning,
      clock: deps.clock,
      redact: deps.redact,
      sink: deps.hooks.stderr,
    });
    this.stderr.attach(child.stderr);
    child.stdout.once('end', () => (this.stdoutEnded = true));
    child.stdout.once('close', () => (this.stdoutEnded = true));
    child.once('exit', (code, signal) => this.handleExit(code, signal));
    child.once('error', (err) => {
      // No pid: the spawn itself failed (ENOENT, EACCES), and no 'exit' will follow.
      if (this.pid === undefined) {
        this.cause = { kind: 'spawn_error', detail: `cannot spawn the server: ${err.message}` };
        this.handleExit(null, null);
      }
    });
    child.stdin.on('error', () => undefined);
  }

  /** This start downloads its package before the server runs (package-runner.ts). */
  get installing(): boolean {
    return this.deps.installing === true;
  }

  /** The server answered its handshake: install limits end, the install is remembered. */
  ready(): void {
    this.deps.onReady?.();
  }

  get exitInfo(): ExitInfo | undefined {
    return this.exit;
  }

  /** The process exited or is being terminated: its transport is (about to be) closed. */
  get isDown(): boolean {
    return this.rawExit !== undefined || this.terminating !== undefined || this.transport.isClosed;
  }

  /** The last stderr lines so far (for start-failure messages). */
  stderrTail(): string[] {
    return this.stderr.recent();
  }

  get uptimeMs(): number {
    return this.deps.clock.now() - this.startedAt;
  }

  /** Calls `fn` once with the exit (at once, if it already happened). */
  onExit(fn: (exit: ExitInfo) => void): void {
    if (this.exit) {
      const exit = this.exit;
      queueMicrotask(() => fn(exit));
    } else this.listeners.push(fn);
  }

  /** SIGTERM the group, SIGKILL after the grace period, empty and remove the cgroup. Idempotent. */
  terminate(): Promise<void> {
    if (!this.terminating) {
      if (!this.rawExit) this.requested = true;
      this.terminating = this.stopTree();
    }
    return this.terminating;
  }

  private async stopTree(): Promise<void> {
    const { spawner, clock, tuning } = this.deps;
    this.transport.markClosed();
    this.child.stdin.end();
    const pgid = this.pid;
    const cgroup = this.launch.cgroup;
    if (pgid !== undefined) {
      spawner.signalGroup(pgid, 'SIGTERM');
      if (!(await this.waitGone(pgid, this.deps.killGraceMs))) {
        spawner.signalGroup(pgid, 'SIGKILL');
        cgroup?.killAll();
        await this.waitGone(pgid, tuning.killWaitMs);
      }
    }
    // The exit is read (cgroup OOM counters included) before the cgroup goes away.
    if (pgid !== undefined) await clock.within(this.exited, tuning.killWaitMs);
    // Anything that left the process group (setsid) but not its cgroup.
    if (cgroup && cgroup.pids().length > 0) cgroup.killAll();
    for (let i = 0; cgroup && i < 100 && !cgroup.remove(); i++) await clock.sleep(20);
    this.deps.onGone();
  }

  private async waitGone(pgid: number, ms: number): Promise<boolean> {
    const deadline = this.deps.clock.now() + ms;
    for (;;) {
      if (this.rawExit && !this.deps.spawner.groupAlive(pgid)) return true;
      if (this.deps.clock.now() >= deadline) return false;
      await this.deps.clock.sleep(10);
    }
  }

  /**
   * Kills a tree that stopped answering (the health probe, process-health-monitor.ts): SIGKILL,
   * since a stopped or wedged process may never act on SIGTERM. Its exit carries the reason and
   * goes through the supervisor's crash policy like any other.
   */
  killUnresponsive(detail: string): void {
    this.cause ??= { kind: 'unresponsive', detail };
    if (this.pid !== undefined) this.deps.spawner.signalGroup(this.pid, 'SIGKILL');
    this.launch.cgroup?.killAll();
  }

  private killFor(kind: 'stdout_line', detail: string): void {
    this.cause ??= { kind, detail };
    this.deps.hooks.onLimit(kind, detail);
    if (this.pid !== undefined) this.deps.spawner.signalGroup(this.pid, 'SIGKILL');
  }

  private handleExit(code: number | null, signal: string | null): void {
    if (this.rawExit) return;
    this.rawExit = { code, signal };
    // A server may write its last answer and exit at once: let stdout drain briefly, but never
    // wait on a grandchild that keeps the pipe open.
    const drainUntil = this.deps.clock.now() + this.deps.tuning.exitDrainMs;
    const finish = (): void => {
      if (!this.stdoutEnded && this.deps.clock.now() < drainUntil) {
        void this.deps.clock.sleep(5).then(finish);
        return;
      }
      this.finalize();
    };
    finish();
  }

  private finalize(): void {
    const raw = this.rawExit ?? { code: null, signal: null };
    for (const hit of this.launch.cgroup?.limitHits() ?? []) {
      this.deps.hooks.onLimit(hit.limit, hit.detail);
      if (hit.limit === 'memory' || !this.cause)
        this.cause = { kind: hit.limit, detail: hit.detail };
    }
    this.stderr.close();
    this.exit = {
      ...raw,
      uptimeMs: this.uptimeMs,
      ...(this.cause ? { cause: this.cause } : {}),
      requested: this.requested,
      stderrTail: this.stderr.recent(),
    };
    this.transport.markClosed();
    this.finalized();
    for (const fn of this.listeners.splice(0)) fn(this.exit);
    // Reap what is left of the tree (wrapper grandchildren) and release the cgroup.
    void this.terminate();
  }
}
