import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { ResourceLimits } from '../config/satellite-config.js';
import type { StdioServerDefinition } from '../config/server-definition.js';
import type { ChildRun, ChildRunHooks, ExitInfo } from './child-run.js';
import { Deferred } from './deferred.js';
import { describeExit, describeStartFailure } from './exit-description.js';
import { exitedDuringCall, permanentlyFailedMessage, removedMessage } from './process-messages.js';
import { countTools } from './tool-count.js';
import type { LifecycleReporter } from './lifecycle-reporter.service.js';
import type { ChildLauncher } from './process-launcher.service.js';
import type { Clock, TimerHandle } from '../events/clock.js';
import type { ProcessInfo } from './process-info.js';
import type { ProbeTarget } from './process-health.js';
import { canTransition, IllegalTransitionError, type ProcessState } from './process-state.js';
import type { ProcessTuning } from './process-tuning.js';
import {
  ProcessUnavailableError,
  type ProcessUnavailableReason,
  SandboxUnavailableError,
} from './process.errors.js';
import { RestartPolicy } from './restart-policy.js';

export interface SupervisorDeps {
  readonly def: StdioServerDefinition;
  readonly createClient: () => Client;
  readonly launcher: ChildLauncher;
  readonly reporter: LifecycleReporter;
  readonly clock: Clock;
  readonly tuning: ProcessTuning;
  readonly handshakeTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly limits: ResourceLimits;
  readonly sandbox: () => { driver: string; enforced: string[] };
  readonly onStateChange?: (info: ProcessInfo) => void;
  /** Bound on a start that installs its package first (DEPLOYSTACK_INSTALL_TIMEOUT_MS). */
  readonly installTimeoutMs?: number;
  /**
   * Runs a start the supervisor decides on by itself (a respawn on a call, a crash restart after
   * the backoff) as an operation of the server's owner (ServerOwner), so it never races a
   * removal, a replacement or an operator restart. Default: run it at once.
   */
  readonly own?: (op: 'respawn' | 'crash-restart', fn: () => Promise<void>) => Promise<void>;
}

type SpawnKind = 'start' | 'restart' | 'respawn';

interface Live {
  readonly run: ChildRun;
  readonly client: Client;
  readonly generation: number;
}

/**
 * Supervises one stdio server: every state transition goes through `transition` (one place),
 * spawns are shared (concurrent callers of a dormant server wait on one respawn), crashes go
 * through the restart policy, and every process tree it ever started is terminated before
 * `terminate()` resolves.
 */
export class ProcessSupervisor {
  private state: ProcessState = 'starting';
  private since: number;
  private restarts = 0;
  private readonly policy: RestartPolicy;
  private lastError?: string;
  private inFlight = 0;
  private lastCallAt?: number;
  private lastActivity: number;
  private live?: Live;
  private generation = 0;
  private attempt?: Promise<void>;
  private respawning?: Promise<void>;
  private waiters?: Deferred<void>;
  private backoff?: TimerHandle;
  private readonly runs = new Set<ChildRun>();

  constructor(private readonly deps: SupervisorDeps) {
    this.since = deps.clock.now();
    this.lastActivity = this.since;
    this.policy = new RestartPolicy(deps.tuning);
  }

  get def(): StdioServerDefinition {
    return this.deps.def;
  }

  info(): ProcessInfo {
    const { def, clock } = this.deps;
    const now = clock.now();
    const pid = this.live?.run.pid;
    return {
      id: def.id,
      slug: def.slug,
      team: def.team,
      ...(def.userId ? { userId: def.userId } : {}),
      state: this.state,
      ...(pid !== undefined ? { pid } : {}),
      since: new Date(this.since).toISOString(),
      restarts: this.restarts,
      crashesInWindow: this.policy.crashesInWindow(now),
      ...(this.lastError ? { lastError: this.lastError } : {}),
      inFlight: this.inFlight,
      ...(this.lastCallAt ? { lastCallAt: new Date(this.lastCallAt).toISOString() } : {}),
      sandbox: this.deps.sandbox(),
      limits: this.deps.limits,
    };
  }

  /** First spawn + handshake. */
  start(): Promise<void> {
    return this.spawn('start');
  }

  async withClient<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const live = await this.ready();
    this.inFlight++;
    this.lastCallAt = this.deps.clock.now();
    try {
      return await fn(live.client);
    } catch (err) {
      if (!live.run.isDown) throw err;
      throw this.unavailable(
        'exited_during_call',
        exitedDuringCall({
          slug: this.deps.def.slug,
          removed: this.state === 'terminated',
          exit: live.run.exitInfo,
        }),
        err,
      );
    } finally {
      this.inFlight--;
      this.lastActivity = this.deps.clock.now();
    }
  }

  /** Operator restart: forgets the crash history and spawns a fresh process. */
  async restart(): Promise<void> {
    if (this.state === 'terminated')
      throw this.unavailable('terminated', removedMessage(this.deps.def.slug));
    if (this.attempt) await this.attempt.catch(() => undefined);
    this.backoff?.cancel();
    this.backoff = undefined;
    this.policy.reset();
    this.lastError = undefined;
    const live = this.detachLive();
    this.transition('starting', 'operator restart');
    if (live) await live.run.terminate();
    const waiters = this.takeWaiters();
    try {
      await this.spawn('restart');
      waiters?.resolve();
    } catch (err) {
      waiters?.reject(err);
      throw err;
    }
  }

  /** Parks the server when idle long enough with nothing in flight; true when it was parked. */
  async park(now: number): Promise<boolean> {
    const { idleTimeoutMs } = this.deps;
    if (this.state !== 'running' || !this.live || this.inFlight > 0 || this.attempt) return false;
    if (idleTimeoutMs <= 0 || now - this.lastActivity < idleTimeoutMs) return false;
    const live = this.detachLive();
    const idleSeconds = Math.round((now - this.lastActivity) / 1000);
    this.transition('dormant', `idle for ${idleSeconds} s; respawns on the next call`);
    this.deps.reporter.dormant(this.deps.def, idleSeconds);
    await live?.run.terminate();
    return true;
  }

  /** Stops for good: every process tree of this server is gone when this resolves. */
  async terminate(reason: string): Promise<void> {
    if (this.state !== 'terminated') {
      this.backoff?.cancel();
      this.detachLive();
      this.transition('terminated', reason);
      this.takeWaiters()?.reject(
        this.unavailable('terminated', removedMessage(this.deps.def.slug)),
      );
      this.deps.reporter.stopped(this.deps.def, reason);
    }
    await Promise.allSettled([...this.runs].map((run) => run.terminate()));
  }

  /** The running process, for the health probe (process-health.ts); undefined in any other state. */
  running(): ProbeTarget | undefined {
    const live = this.live;
    if (this.state !== 'running' || !live || live.run.isDown) return undefined;
    const { run, client, generation } = live;
    return {
      generation,
      ...(run.pid !== undefined ? { pid: run.pid } : {}),
      ...(run.launch.cgroup ? { cgroup: run.launch.cgroup } : {}),
      client,
      calls: run.calls,
    };
  }

  /**
   * Kills the running process of `generation` that stopped answering. Its exit then takes the
   * path of any crash (onExit → the restart policy, `mcp.server.crashed`, the reason as last
   * error); false when that process is no longer the live one.
   */
  killUnresponsive(generation: number, reason: string): boolean {
    const live = this.live;
    if (this.state !== 'running' || !live || live.generation !== generation) return false;
    live.run.killUnresponsive(reason);
    return true;
  }

  /** Process group ids of every tree this server still has (for the last-resort kill at exit). */
  pgids(): number[] {
    return [...this.runs].flatMap((run) => (run.pid === undefined ? [] : [run.pid]));
  }

  private async ready(): Promise<Live> {
    switch (this.state) {
      case 'running':
        break;
      case 'dormant':
        await this.respawn();
        // Removed while the respawn waited for its turn.
        if ((this.state as ProcessState) === 'terminated')
          throw this.unavailable('terminated', removedMessage(this.deps.def.slug));
        break;
      case 'starting':
      case 'installing':
        // No attempt yet: an operator restart is still stopping the old process.
        await (this.attempt ?? (this.waiters ??= new Deferred<void>()).promise);
        break;
      case 'crashed':
      case 'restarting':
        await (this.waiters ??= new Deferred<void>()).promise;
        break;
      case 'permanently_failed':
        throw this.unavailable(
          'permanently_failed',
          permanentlyFailedMessage(this.deps.def.slug, this.lastError),
        );
      case 'terminated':
        throw this.unavailable('terminated', removedMessage(this.deps.def.slug));
    }
    if (this.state !== 'running' || !this.live) {
      throw this.unavailable(
        'restarting',
        `MCP server "${this.deps.def.slug}" is ${this.state}; retry in a few seconds.`,
      );
    }
    return this.live;
  }

  /** A parked server's respawn, as an owned operation; concurrent callers share it. */
  private respawn(): Promise<void> {
    this.respawning ??= this.own('respawn', async () => {
      // Something else may have run first (a removal, an operator restart, another respawn).
      if (this.state === 'dormant') await this.spawn('respawn');
      else if (this.attempt) await this.attempt;
    }).finally(() => (this.respawning = undefined));
    return this.respawning;
  }

  private own(op: 'respawn' | 'crash-restart', fn: () => Promise<void>): Promise<void> {
    return this.deps.own ? this.deps.own(op, fn) : fn();
  }

  /** One spawn + handshake at a time; concurrent callers share it. */
  private spawn(kind: SpawnKind): Promise<void> {
    if (this.attempt) return this.attempt;
    const attempt = this.runAttempt(kind).finally(() => {
      if (this.attempt === attempt) this.attempt = undefined;
    });
    this.attempt = attempt;
    return attempt;
  }

  private async runAttempt(kind: SpawnKind): Promise<void> {
    const { def, clock, reporter } = this.deps;
    if (this.state !== 'starting') this.transition('starting', kind === 'start' ? undefined : kind);
    const generation = ++this.generation;
    const t0 = clock.now();
    let run: ChildRun | undefined;
    try {
      run = this.deps.launcher.launch(def, this.hooks());
      this.track(run);
      const installing = run.installing;
      if (installing) this.transition('installing', 'first start: downloading the package');
      const client = this.deps.createClient();
      await client.connect(run.transport, { timeout: this.startTimeoutMs(installing) });
      if (generation !== this.generation) throw new Error('superseded');
      if (run.exitInfo || run.isDown)
        throw new Error('the process exited right after the handshake');
      run.ready();
      const live: Live = { run, client, generation };
      if (this.live) void this.live.run.terminate(); // never two live processes for one server
      this.live = live;
      this.lastActivity = clock.now();
      run.onExit((exit) => this.onExit(live, exit));
      this.transition('running');
      const pid = run.pid ?? 0;
      const ms = clock.now() - t0;
      if (kind === 'restart') reporter.restarted(def, pid, ++this.restarts);
      if (kind === 'respawn') reporter.respawned(def, pid, ms);
      if (kind === 'start')
        void countTools(client, this.deps.handshakeTimeoutMs).then((n) =>
          reporter.started(def, pid, n, ms),
        );
    } catch (err) {
      void run?.terminate();
      if (generation !== this.generation || this.state === 'terminated') {
        throw this.unavailable('terminated', removedMessage(this.deps.def.slug), err);
      }
      const reason = run
        ? describeStartFailure({
            err,
            exit: run.exitInfo,
            stderrTail: run.stderrTail(),
            handshakeTimeoutMs: this.startTimeoutMs(run.installing),
          })
        : describeStartFailure({
            err,
            stderrTail: [],
            handshakeTimeoutMs: this.deps.handshakeTimeoutMs,
          });
      // A refused sandbox cannot get better by retrying: fail at once, keep the reason.
      const next = this.crashed(
        reason,
        run?.pid,
        run?.exitInfo,
        err instanceof SandboxUnavailableError,
      );
      throw this.unavailable(
        'start_failed',
        `MCP server "${def.slug}" failed to start: ${reason}. ${next}`,
        err,
      );
    }
  }

  /** The bound on a start: the handshake, or the download plus the handshake for an install. */
  private startTimeoutMs(installing: boolean): number {
    return installing
      ? Math.max(this.deps.installTimeoutMs ?? 0, this.deps.handshakeTimeoutMs)
      : this.deps.handshakeTimeoutMs;
  }

  /** An unexpected exit of the running process. */
  private onExit(live: Live, exit: ExitInfo): void {
    if (this.live !== live) return; // parked, restarted or removed on purpose
    this.live = undefined;
    this.crashed(describeExit(exit), live.run.pid, exit);
  }

  /** Crash bookkeeping and the restart decision; returns what happens next, for messages. */
  private crashed(
    reason: string,
    pid: number | undefined,
    exit: ExitInfo | undefined,
    fatal = false,
  ): string {
    const { def, clock, reporter } = this.deps;
    const recorded = this.policy.recordCrash(clock.now());
    const { crashesInWindow } = recorded;
    const restartInMs = fatal ? undefined : recorded.restartInMs;
    this.lastError = reason;
    this.transition('crashed', reason);
    reporter.crashed(def, {
      process_id: pid ?? 0,
      exit_code: exit?.code ?? null,
      signal: exit?.signal ?? null,
      uptime_seconds: Math.round((exit?.uptimeMs ?? 0) / 1000),
      crash_count: crashesInWindow,
      will_restart: restartInMs !== undefined,
    });
    if (restartInMs === undefined) {
      this.transition('permanently_failed', reason);
      reporter.permanentlyFailed(def, crashesInWindow, reason);
      this.takeWaiters()?.reject(
        this.unavailable(
          'permanently_failed',
          `MCP server "${def.slug}" is permanently failed: ${reason}`,
        ),
      );
      return 'It crashed too often and will not be restarted until an operator restarts it.';
    }
    this.transition('restarting', `restart ${crashesInWindow} in ${restartInMs} ms`);
    this.backoff = clock.after(restartInMs, () => {
      this.backoff = undefined;
      void this.own('crash-restart', async () => {
        // Removed or restarted by an operator while the restart waited for its turn.
        if (this.state !== 'restarting') return;
        const waiters = this.takeWaiters();
        await this.spawn('restart').then(
          () => waiters?.resolve(),
          (err: unknown) => waiters?.reject(err),
        );
      }).catch(() => undefined);
    });
    return `It will be restarted in ${Math.ceil(restartInMs / 1000)} s; retry then.`;
  }

  private transition(to: ProcessState, message?: string): void {
    const from = this.state;
    if (from === to) return;
    if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
    this.state = to;
    this.since = this.deps.clock.now();
    this.deps.reporter.stateChanged(this.deps.def, from, to, message);
    this.deps.onStateChange?.(this.info());
  }

  /** Takes the live process out of service (its exit will not count as a crash). */
  private detachLive(): Live | undefined {
    const live = this.live;
    this.live = undefined;
    this.generation++;
    return live;
  }

  private takeWaiters(): Deferred<void> | undefined {
    const waiters = this.waiters;
    this.waiters = undefined;
    return waiters;
  }

  private track(run: ChildRun): void {
    this.runs.add(run);
    run.onExit(() => void run.terminate().then(() => this.runs.delete(run)));
  }

  private hooks(): ChildRunHooks {
    const { def, reporter } = this.deps;
    return {
      stderr: {
        log: (entry) => reporter.stderrLine(def, entry),
        batch: (entries) => reporter.logs(def, entries),
      },
      onLimit: (limit, detail) => reporter.limitExceeded(def, limit, detail),
      onGarbage: (line) => reporter.garbage(def, line),
    };
  }

  private unavailable(
    reason: ProcessUnavailableReason,
    message: string,
    cause?: unknown,
  ): ProcessUnavailableError {
    return new ProcessUnavailableError(
      reason,
      this.deps.def.id,
      message,
      cause === undefined ? undefined : { cause },
    );
  }
}
