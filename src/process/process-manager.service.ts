import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SatelliteConfig } from '../config/satellite-config.js';
import type { StdioServerDefinition } from '../config/server-definition.js';
import { LeftoverSweeper } from './leftover-sweeper.service.js';
import { LifecycleReporter } from './lifecycle-reporter.service.js';
import { Clock, type TimerHandle } from '../events/clock.js';
import type { ProcessInfo } from './process-info.js';
import { ProcessLauncher } from './process-launcher.service.js';
import { ProcessSpawner } from './process-spawner.js';
import { ProcessSupervisor } from './process-supervisor.js';
import { ProcessTuning } from './process-tuning.js';
import { ProcessUnavailableError } from './process.errors.js';
import { type OwnerLease, ServerOwner, supersededReason } from './server-owner.js';
import { CgroupManager } from './sandbox/cgroup-manager.service.js';
import type { SandboxReport } from './sandbox/sandbox-driver.js';
import { SandboxSelector } from './sandbox/sandbox-selector.service.js';
import { HealthProbe } from './process-health.js';
import { ResourceSampler } from './resource-sampler.js';

export type { ProcessInfo } from './process-info.js';
export type { ProcessState } from './process-state.js';
export { ProcessUnavailableError } from './process.errors.js';

/**
 * The process module's face: stdio MCP servers as supervised, sandboxed process trees
 * (docs/process.md "Lifecycle"). One ProcessSupervisor per server does the lifecycle;
 * this service registers them, runs the idle reaper, sweeps a crashed previous run's leftovers
 * at start and terminates every tree at shutdown. Every start, replacement, stop, restart, park,
 * respawn and crash restart of a server is an operation of the ServerOwner (one at a time per
 * server; docs/process.md "Lifecycle"): when called from inside an owned operation of the same
 * server (the upstream manager's add/remove) it runs as part of it.
 */
@Injectable()
export class ProcessManagerService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(ProcessManagerService.name);
  private readonly supervisors = new Map<string, ProcessSupervisor>();
  private readonly probes = new Map<string, HealthProbe>();
  private readonly listeners = new Set<(info: ProcessInfo) => void>();
  private reaper?: TimerHandle;
  private removeExitHook?: () => void;
  private initialized?: Promise<void>;

  constructor(
    private readonly config: SatelliteConfig,
    private readonly tuning: ProcessTuning,
    private readonly clock: Clock,
    private readonly launcher: ProcessLauncher,
    private readonly reporter: LifecycleReporter,
    private readonly sandbox: SandboxSelector,
    private readonly sweeper: LeftoverSweeper,
    private readonly spawner: ProcessSpawner,
    private readonly cgroups: CgroupManager,
    private readonly owner: ServerOwner,
    private readonly sampler: ResourceSampler,
  ) {}

  onModuleInit(): Promise<void> {
    this.initialized ??= this.init();
    return this.initialized;
  }

  /**
   * Registers (or replaces) a server and starts it; resolves after the MCP handshake. A later
   * add/remove/start of the same server cuts the start short: the process is terminated with
   * the reason ("removed" or "replaced") and this rejects.
   */
  start(def: StdioServerDefinition, createClient: () => Client): Promise<void> {
    return this.owner.run(def.id, 'start', (lease) => this.startNow(def, createClient, lease));
  }

  private async startNow(
    def: StdioServerDefinition,
    createClient: () => Client,
    lease: OwnerLease,
  ): Promise<void> {
    // The leftover sweep of a previous run finishes before any server starts.
    await this.onModuleInit();
    if (this.supervisors.has(def.id)) await this.removeNow(def.id, 'replaced');
    if (lease.signal.aborted) {
      throw new ProcessUnavailableError(
        'terminated',
        def.id,
        `MCP server "${def.slug}" was ${supersededReason(lease.supersededBy)} before it started.`,
      );
    }
    const report = this.sandbox.choose().report;
    const supervisor: ProcessSupervisor = new ProcessSupervisor({
      def,
      createClient,
      launcher: this.launcher,
      reporter: this.reporter,
      clock: this.clock,
      tuning: this.tuning,
      handshakeTimeoutMs: this.config.process.handshakeTimeoutMs,
      installTimeoutMs: this.config.process.installTimeoutMs,
      idleTimeoutMs: this.config.process.idleTimeoutMs,
      limits: this.config.process.limits,
      sandbox: () => ({ driver: report.driver, enforced: [...report.enforced] }),
      onStateChange: (info) => this.notify(info),
      // Its own respawns and crash restarts are owned operations too.
      own: (op, fn): Promise<void> =>
        this.owner.run(def.id, op, (own) =>
          own.signal.aborted ? Promise.resolve() : this.untilSuperseded(own, supervisor, fn),
        ),
    });
    this.supervisors.set(def.id, supervisor);
    this.watch(def, supervisor);
    await this.untilSuperseded(lease, supervisor, () => supervisor.start());
  }

  /**
   * Runs a start of `supervisor`; when a later add/remove/start supersedes it, the process is
   * stopped at once (the handshake could take its whole timeout otherwise) and ends terminated
   * with the reason ("removed", "replaced"); the superseding operation takes over from there.
   */
  private async untilSuperseded(
    lease: OwnerLease,
    supervisor: ProcessSupervisor,
    start: () => Promise<void>,
  ): Promise<void> {
    const stop = () => void supervisor.terminate(supersededReason(lease.supersededBy));
    lease.signal.addEventListener('abort', stop, { once: true });
    try {
      await start();
    } finally {
      lease.signal.removeEventListener('abort', stop);
    }
  }

  /** Terminates the server's whole process tree and forgets it. Idempotent. */
  remove(id: string, reason = 'removed'): Promise<void> {
    return this.owner.run(id, 'remove', () => this.removeNow(id, reason));
  }

  private async removeNow(id: string, reason: string): Promise<void> {
    const supervisor = this.supervisors.get(id);
    if (!supervisor) return;
    this.supervisors.delete(id);
    this.probes.get(id)?.stop();
    this.probes.delete(id);
    await supervisor.terminate(reason);
    this.reporter.forget(supervisor.def);
  }

  async withClient<T>(id: string, fn: (client: Client) => Promise<T>): Promise<T> {
    return this.supervisor(id).withClient(fn);
  }

  /** Operator restart (also clears a permanently failed state). */
  restart(id: string): Promise<void> {
    return this.owner.run(id, 'restart', async (lease) => {
      if (lease.signal.aborted) return; // superseded while waiting: the later operation decides
      const supervisor = this.supervisor(id);
      await this.untilSuperseded(lease, supervisor, () => supervisor.restart());
    });
  }

  /**
   * Parks servers idle for `idleTimeoutMs` with nothing in flight. A server with an operation
   * running or waiting (a start, a removal, a respawn…) is not idle: it is skipped this round.
   */
  async reapIdle(now: number = this.clock.now()): Promise<void> {
    await Promise.all(
      [...this.supervisors.entries()].map(
        ([id, s]) =>
          this.owner.tryRun(id, 'park', async () => {
            if (this.supervisors.get(id) === s) await s.park(now);
          }) ?? Promise.resolve(),
      ),
    );
  }

  /** Stops the built-in reaper timer (when a jobs module schedules reapIdle itself). */
  stopIdleTimer(): void {
    this.reaper?.cancel();
    this.reaper = undefined;
  }

  /** Every server with its health (ping, CPU, memory, call latency; process-health.ts). */
  list(): ProcessInfo[] {
    return [...this.supervisors.keys()].flatMap((id) => this.get(id) ?? []);
  }

  get(id: string): ProcessInfo | undefined {
    const supervisor = this.supervisors.get(id);
    if (!supervisor) return undefined;
    const health = this.probes.get(id)?.snapshot();
    return { ...supervisor.info(), ...(health ? { health } : {}) };
  }

  sandboxReport(): SandboxReport {
    const { report } = this.sandbox.choose();
    return {
      driver: report.driver,
      enforced: [...report.enforced],
      notEnforced: [...report.notEnforced],
    };
  }

  /** Every state change of every server (e.g. to re-discover tools after a restart). */
  onStateChange(listener: (info: ProcessInfo) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopIdleTimer();
    await Promise.allSettled([...this.supervisors.keys()].map((id) => this.remove(id)));
    this.cgroups.release();
    this.removeExitHook?.();
    this.removeExitHook = undefined;
  }

  private async init(): Promise<void> {
    const swept = await this.sweeper.sweep().catch((err: Error) => {
      this.logger.warn(`leftover sweep failed: ${err.message}`);
      return { groups: 0, cgroups: 0 };
    });
    if (swept.groups + swept.cgroups > 0)
      this.logger.warn(
        `swept ${swept.groups} process group(s) and ${swept.cgroups} cgroup(s) of a previous run`,
      );
    this.sandbox.choose();
    const idle = this.config.process.idleTimeoutMs;
    if (this.tuning.reaperIntervalMs > 0 && idle > 0) {
      const every = Math.min(this.tuning.reaperIntervalMs, Math.max(250, Math.floor(idle / 4)));
      this.reaper = this.clock.every(every, () => void this.reapIdle());
    }
    // Last resort when the satellite exits without its shutdown hooks (uncaught error, process.exit).
    this.removeExitHook = this.spawner.onHostExit(() => {
      for (const s of this.supervisors.values())
        for (const pgid of s.pgids()) this.spawner.signalGroup(pgid, 'SIGKILL');
    });
  }

  /** Starts the health probe of a (new) supervisor; a replaced one's probe stopped with it. */
  private watch(def: StdioServerDefinition, supervisor: ProcessSupervisor): void {
    const probe = new HealthProbe({
      slug: def.slug,
      running: () => supervisor.running(),
      killUnresponsive: (generation, reason) => supervisor.killUnresponsive(generation, reason),
      sampler: this.sampler,
      clock: this.clock,
      config: this.config.process.health,
      log: this.logger,
    });
    this.probes.set(def.id, probe);
    probe.start();
  }

  private supervisor(id: string): ProcessSupervisor {
    const supervisor = this.supervisors.get(id);
    if (!supervisor) {
      throw new ProcessUnavailableError(
        'unknown_server',
        id,
        `No stdio MCP server "${id}" is configured on this satellite; use discover_mcp_tools to find available tools.`,
      );
    }
    return supervisor;
  }

  private notify(info: ProcessInfo): void {
    for (const listener of this.listeners) {
      try {
        listener(info);
      } catch (err) {
        this.logger.error(`process state listener failed: ${(err as Error).message}`);
      }
    }
  }
}
